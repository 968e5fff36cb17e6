"""The public HTTP API v1 (``../shared/spec/API.md``): thin FastAPI routes over the services"""

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api import alerts, controls, errors, hardening, operator, planning, reading, writing
from services.controls.entitlement import Refusals

MAX_BODY = 1_000_000
EVERY_METHOD = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

PREFIX = '/api/v1'
router = APIRouter(prefix=PREFIX, max_body_size=MAX_BODY)
for part in (operator.router, writing.router, reading.router, planning.router, alerts.router, controls.router):
    router.include_router(part)
PARTS = [
    route
    for part in (operator.router, writing.router, reading.router, planning.router, alerts.router, controls.router)
    for route in part.routes
]


@router.get('/health', tags=['health'], operation_id='health')
async def health() -> dict[str, str]:
    """Always `{"status": "ok"}` once the app serves; no key needed."""
    return {'status': 'ok'}


def _methods(request: Request) -> set[str]:
    """The methods the API answers at this path (whatever the method of the request)."""
    path = request.url.path
    found: set[str] = set()
    for prefix, routes in ((PREFIX, PARTS), ('', router.routes)):
        if not path.startswith(prefix):
            continue
        for route in routes:
            if (
                isinstance(route, APIRoute)
                and route.endpoint is not elsewhere
                and route.path_regex.match(path[len(prefix) :])
            ):
                found |= route.methods or set()
    return found


@router.api_route('/{path:path}', methods=EVERY_METHOD, include_in_schema=False)
async def elsewhere(request: Request, path: str) -> Response:
    """Anything else under the API's prefix: JSON, never a page — 404, 405 with ``Allow``, or the answer to
    ``OPTIONS``."""
    methods = _methods(request)
    if not methods:
        return JSONResponse({'detail': 'no such route'}, status_code=404)
    allow = ', '.join(sorted(methods | {'OPTIONS'}))
    if request.method == 'OPTIONS':
        return Response(status_code=204, headers={'Allow': allow})
    return JSONResponse({'detail': f'use {allow}'}, status_code=405, headers={'Allow': allow})


def install(app: FastAPI, operator_key: str | None, *, webhook_allow_private: bool = False) -> None:
    """Mount the API on an app (NiceGUI's, or a bare FastAPI app in the tests)."""
    app.state.operator_key = operator_key
    app.state.webhook_allow_private = webhook_allow_private
    app.state.refusals = Refusals()  # the entitlement check's refusals, counted here, written in the background
    app.include_router(router)
    errors.install(app)
    hardening.install(app)
