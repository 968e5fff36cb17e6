"""JSON bodies parsed without floats

The standard parser turns ``12.5`` into a float, and the exact decimal is lost before any code sees it. This route
class parses JSON numbers with a fraction or exponent as ``Decimal``, and ``NaN``/``Infinity`` as non-finite
decimals that the quantity check then names as the bad field.
"""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class ExactJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, '_json'):
            self._json = json.loads(await self.body(), parse_float=Decimal, parse_constant=Decimal)
        return self._json


class ExactJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_handler(request: Request) -> Response:
            return await handler(ExactJSONRequest(request.scope, request.receive))

        return exact_handler
