"""Domain errors as HTTP answers, mapped once

``InvalidInput`` becomes a 422 shaped like FastAPI's own (``loc`` names the field, and the event's index in a
batch); ``NotFound`` 404; ``Conflict`` 409, naming the refused event's id when there is one.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.errors import Conflict, InsufficientBalance, InvalidInput, NotFound


def location(request: Request, error: InvalidInput) -> list[str | int]:
    if request.method == 'GET':
        return ['query', error.field]
    if error.index is not None:
        return ['body', 'events', error.index, error.field]
    return ['body', error.field]


async def invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidInput)
    detail = [{'loc': location(request, error), 'msg': error.reason, 'type': 'value_error'}]
    return JSONResponse({'detail': detail}, status_code=422)


async def not_found(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({'detail': str(error)}, status_code=404)


async def conflict(request: Request, error: Exception) -> JSONResponse:
    body: dict[str, object] = {'detail': str(error)}
    if isinstance(error, InsufficientBalance) and error.event_id is not None:
        body['id'] = error.event_id
    return JSONResponse(body, status_code=409)


async def malformed(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422 without echoing the input: a NaN cannot be serialised, and bodies are not ours to repeat."""
    assert isinstance(error, RequestValidationError)
    detail = [{'loc': list(e['loc']), 'msg': e['msg'], 'type': e['type']} for e in error.errors()]
    return JSONResponse({'detail': detail}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, malformed)
    app.add_exception_handler(InvalidInput, invalid)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Conflict, conflict)
