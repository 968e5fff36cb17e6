#!/usr/bin/env python3
"""Balances: start the app. Configured by environment variables only (see README.md and ../shared/spec/API.md)."""

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from nicegui import Client, app, ui

import api
from services import demo
from services.alerts.books import LedgerCheck
from services.alerts.delivery import DeliveryConfig, Sender, release_claims
from services.alerts.watch import AlertWatch
from services.infrastructure import bus, coordination, diagnostics, i18n, memory
from services.infrastructure.database import close_database, open_database
from services.infrastructure.settings import ConfigError, Settings
from services.reading.live import LiveContracts
from ui import install as install_pages
from ui import middleware
from ui.runtime import Runtime

memory.return_large_buffers()  # a sign-in's 19 MiB password check is not kept by a worker thread's heap
try:
    settings = Settings.from_env()
except ConfigError as error:
    sys.exit(f'Balances cannot start: {error}')

api.install(app, settings.operator, webhook_allow_private=settings.webhook_allow_private)
install_pages()

# NiceGUI does not await async on_startup handlers; a lifespan is awaited before the first request is served.
# young collections of at most 10,000 new objects, a middle one of at most ~30,000 (every page opened leaves objects
# that live as long as it: with Python's defaults a burst of opening pages made the middle ones long), full ones as
# rare as before (after 10 M objects); the measurements behind these numbers: docs/PERFORMANCE.md
GC_THRESHOLDS = (10_000, 2, 500)
nicegui_lifespan = getattr(app.state, 'nicegui_lifespan', None) or app.router.lifespan_context
app.state.nicegui_lifespan = nicegui_lifespan  # kept, so that a re-run of this file (the tests') wraps it once


@asynccontextmanager
async def lifespan(fastapi_app: FastAPI) -> AsyncIterator[None]:
    middleware.install(app)  # NiceGUI's request middlewares, as plain ASGI (added by ui.run, just before)
    api.hardening.open_socket_door(app)  # outside them all: an open page's socket keeps no frame in each
    # several processes may share one PostgreSQL: one at a time migrates and, on an empty database, loads the demo
    if settings.stats:
        diagnostics.start_counting()
    async with coordination.one_at_a_time(settings.db_url, coordination.MIGRATE_AND_LOAD):
        await open_database(settings.db_url)
        if settings.demo and await demo.is_empty():
            login = await demo.load()
            print(f'Demo data loaded. Sign in as {login.email} with the password {login.password}', flush=True)
        elif settings.demo:
            print(
                f'Demo administrator: {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD} (if the demo data set is loaded)',
                flush=True,
            )
    # on PostgreSQL, every process hears the others' changes; the live models of the contracts shown here follow them
    listener = bus.Listener(settings.db_url) if settings.db_url.startswith('postgres') else None
    if listener is not None:
        await listener.start()
    live = LiveContracts()
    live.start()
    pages = Runtime.start(live)
    # what pages leave behind is handed back soon, not at the next rare full collection
    sweeper = memory.Sweeper(lambda: len(Client.instances))
    app.on_connect(sweeper.opened)
    app.on_delete(sweeper.closed)
    sweeper.start()
    # every process sends what is due in the outbox; one process of the deployment evaluates the rules
    sender = Sender(
        DeliveryConfig(settings.smtp, settings.mail_from, settings.served_url, settings.webhook_allow_private)
    )
    await release_claims()
    sender.start()
    app.state.refusals.start()
    watch = AlertWatch(settings.db_url, sender)
    watch.start()
    ledger_check = LedgerCheck(settings.db_url, timedelta(hours=settings.ledger_check_hours))
    ledger_check.start()
    app.state.alerts = sender
    feed_leader = coordination.Leadership(settings.db_url, coordination.DEMO_FEED)
    if settings.demo and settings.demo_feed:
        feed = demo.LiveFeed()
        app.timer(4.0, lambda: feed_leader.run(feed.tick))  # one process feeds, whatever their number
    i18n.load_every_language()
    async with nicegui_lifespan(fastapi_app):
        # what start-up made (modules, locale data, the ORM) lives as long as the process: out of the cycle
        # collector's sight, so that a full collection scans the pages' objects only (docs/PERFORMANCE.md)
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        diagnostics.forget_pauses()
        print(f'Balances is serving on http://{settings.host}:{settings.port}', flush=True)
        yield
    await feed_leader.release()
    await sweeper.stop()
    await pages.close()  # pages still reading their board finish before the database closes
    await watch.stop()
    await ledger_check.stop()
    await sender.stop()
    await app.state.refusals.stop()
    if settings.stats:
        stats = {'live': vars(live.totals()), 'broadcasts': pages.boards.broadcasts(), 'census': diagnostics.census()}
        diagnostics.write(settings.stats, stats)
    await live.close()
    if listener is not None:
        await listener.stop()
    await close_database()


app.router.lifespan_context = lifespan

ui.run(
    host=settings.host,
    port=settings.port,
    title='Balances',
    storage_secret=settings.session_secret(),
    # a browser's session lives 12 hours at most (and ends after 8 idle hours, server-side: services/accounts/sessions)
    session_middleware_kwargs={'max_age': 12 * 3600, 'same_site': 'lax', 'https_only': settings.secure_cookies},
    reload=False,
    show=False,
    fastapi_docs=True,
    endpoint_documentation='none',  # /docs lists the API, not NiceGUI's internal routes
)
