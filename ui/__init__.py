"""NiceGUI pages of Balances: thin, reading from services and subscribing to the live-update bus"""

from nicegui import ui


def install() -> None:
    """Register the pages (called by ``main.py`` on every start, which the ``user`` test fixture repeats)."""
    from nicegui import app

    from ui import hub
    from ui.balances_page import balances_page
    from ui.guard import SignedInOnly
    from ui.login import login_page, logout_page

    hub.install()
    if not any(middleware.cls is SignedInOnly for middleware in app.user_middleware):
        app.add_middleware(SignedInOnly)
    ui.page('/')(balances_page)
    ui.page('/login')(login_page)
    ui.page('/logout')(logout_page)
