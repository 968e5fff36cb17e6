"""The public HTTP API v1 (``../shared/spec/API.md``): thin FastAPI routes over the services"""

from fastapi import APIRouter, FastAPI

from api import errors, operator, reading, writing

MAX_BODY = 1_000_000

router = APIRouter(prefix='/api/v1', max_body_size=MAX_BODY)
router.include_router(operator.router)
router.include_router(writing.router)
router.include_router(reading.router)


@router.get('/health', tags=['health'])
async def health() -> dict[str, str]:
    """Always `{"status": "ok"}` once the app serves; no key needed."""
    return {'status': 'ok'}


def install(app: FastAPI, operator_key: str | None) -> None:
    """Mount the API on an app (NiceGUI's, or a bare FastAPI app in the tests)."""
    app.state.operator_key = operator_key
    app.include_router(router)
    errors.install(app)
