"""Pages are guarded in one place (NiceGUI's ``authentication`` example): a request for a page from a browser that
is not signed in goes to the sign-in page, and comes back once signed in"""

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from nicegui import Client, app
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

OPEN_PAGES = {'/login', '/logout'}


def signed_in_admin() -> int | None:
    """The administrator this browser signed in as, if it did."""
    admin = app.storage.user.get('admin_id')
    return admin if isinstance(admin, int) else None


class SignedInOnly(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path in Client.page_routes.values() and path not in OPEN_PAGES and signed_in_admin() is None:
            return RedirectResponse(f'/login?redirect_to={path}')
        return await call_next(request)
