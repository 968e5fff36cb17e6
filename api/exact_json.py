"""Requests of the API: access decided before the body is read, and JSON read without floats, within bounds

The standard parser turns ``12.5`` into a float, and the exact decimal is lost before any code sees it. This route
class parses JSON numbers with a fraction or exponent as ``Decimal``, ``NaN``/``Infinity`` as non-finite decimals,
and integers longer than 30 digits as decimals too (Python's own limit would make a 4,000-digit integer a 400):
the quantity check then names the field. A body that is not UTF-8, not JSON, or nested beyond what the parser
follows is a 422 like any other invalid input. None of this runs for a caller without access: the route's
``Allowed`` rule is checked first, from the headers and the path.
"""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.auth import Allowed

LONGEST_INTEGER = 30


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text) <= LONGEST_INTEGER else Decimal(text)


def _refused(message: str) -> json.JSONDecodeError:
    """What FastAPI turns into a 422 (any other exception while reading a body becomes a bare 400)."""
    return json.JSONDecodeError(message, '', 0)


class ExactJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, '_json'):
            try:
                text = (await self.body()).decode('utf-8')
            except UnicodeDecodeError:
                raise _refused('the body is not UTF-8 text') from None
            try:
                self._json = json.loads(text, parse_float=Decimal, parse_int=_integer, parse_constant=Decimal)
            except json.JSONDecodeError as error:
                raise _refused(f'the body is not JSON ({error.msg} at character {error.pos})') from None
            except RecursionError:
                raise _refused('the body nests too deeply') from None
        return self._json


class ExactJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        rules: list[Allowed] = []
        for dependency in self.dependant.dependencies:
            if isinstance(dependency.call, Allowed):
                rules.append(dependency.call)

        async def exact_handler(request: Request) -> Response:
            for rule in rules:
                await rule.check(request)  # 401, 404 or 403 before a byte of the body is read
            return await handler(ExactJSONRequest(request.scope, request.receive))

        return exact_handler
