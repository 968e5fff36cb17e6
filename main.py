#!/usr/bin/env python3
"""Balances: start the app. Configured by environment variables only (see README.md and ../shared/spec/API.md)."""

import sys

from nicegui import app, ui

import api
from services import demo
from services.config import ConfigError, Settings
from services.database import close_database, open_database
from ui import install as install_pages

try:
    settings = Settings.from_env()
except ConfigError as error:
    sys.exit(f'Balances cannot start: {error}')


api.install(app, settings.operator_key)
install_pages()


async def startup() -> None:
    await open_database(settings.db_url)
    if settings.demo and await demo.is_empty():
        login = await demo.load()
        print(f'Demo data loaded. Sign in as {login.email} with the password {login.password}', flush=True)
    elif settings.demo:
        print(
            f'Demo administrator: {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD} (if the demo data set is loaded)', flush=True
        )
    if settings.demo and settings.demo_feed:
        app.timer(4.0, demo.LiveFeed().tick)
    print(f'Balances is serving on http://{settings.host}:{settings.port}', flush=True)


app.on_startup(startup)
app.on_shutdown(close_database)

ui.run(
    host=settings.host,
    port=settings.port,
    title='Balances',
    storage_secret=settings.storage_secret,
    reload=False,
    show=False,
    fastapi_docs=True,
    endpoint_documentation='none',  # /docs lists the API, not NiceGUI's internal routes
)
