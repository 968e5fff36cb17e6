"""Domain errors as HTTP answers, mapped once

``InvalidInput`` becomes a 422 shaped like FastAPI's own (``loc`` names the field, and the event's index in a
batch); ``NotFound`` 404; ``Conflict`` 409, naming the refused event's id when there is one.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.domain.errors import Conflict, InsufficientBalance, InvalidInput, NotFound


def location(request: Request, error: InvalidInput) -> list[str | int]:
    if request.method == 'GET':
        return ['query', error.field]
    if error.index is not None:
        return ['body', error.batch, error.index, error.field]
    return ['body', error.field]


def invalid(request: Request, error: InvalidInput) -> JSONResponse:
    detail = [{'loc': location(request, error), 'msg': error.reason, 'type': 'value_error'}]
    return JSONResponse({'detail': detail}, status_code=422)


def not_found(request: Request, error: NotFound) -> JSONResponse:
    return JSONResponse({'detail': str(error)}, status_code=404)


def conflict(request: Request, error: Conflict) -> JSONResponse:
    body: dict[str, object] = {'detail': str(error)}
    if isinstance(error, InsufficientBalance) and error.event_id is not None:
        body['id'] = error.event_id
    return JSONResponse(body, status_code=409)


def malformed(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422 without echoing the input: a NaN cannot be serialised, and bodies are not ours to repeat."""
    detail = [
        {'loc': list(e['loc']), 'msg': str(e.get('ctx', {}).get('error', e['msg'])), 'type': e['type']}
        for e in error.errors()
    ]
    return JSONResponse({'detail': detail}, status_code=422)


E = TypeVar('E', bound=Exception)


def answering(kind: type[E], answer: Callable[[Request, E], JSONResponse]) -> Callable[..., Awaitable[Response]]:
    """An exception handler for ``kind`` (FastAPI types every handler for any exception)."""

    async def handle(request: Request, error: Exception) -> Response:
        if not isinstance(error, kind):
            raise error
        return answer(request, error)

    return handle


def install(app: FastAPI) -> None:
    for kind, answer in (
        (RequestValidationError, malformed),
        (InvalidInput, invalid),
        (NotFound, not_found),
        (Conflict, conflict),
    ):
        app.add_exception_handler(kind, answering(kind, answer))  # type: ignore[arg-type]
