"""NiceGUI pages of Balances: thin, reading from services and subscribing to the live-update bus"""

from nicegui import ui


def install() -> None:
    """Register the pages (called by ``main.py`` on every start, which the ``user`` test fixture repeats)."""
    from ui import board, frame, guard, tuning
    from ui.balances_page import balances_page
    from ui.login import login_page

    tuning.install()
    frame.install()
    board.install()
    guard.install()
    ui.page('/')(balances_page)
    ui.page('/login')(login_page)
