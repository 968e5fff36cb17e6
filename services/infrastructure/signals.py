"""Signals: the one listener primitive from a ledger change to a page

A ``Signal[T]`` carries values of one type to the listeners subscribed to it, plain functions or coroutine functions
alike. ``send`` calls them in turn and awaits each coroutine (a slow listener delays the next: what a page does with a
value is quick, and the order of values is kept); ``emit``, for code that cannot wait, calls them at once and runs
coroutines as tasks. A listener that fails is logged and the others still hear the value.
"""

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar('T')
Listener = Callable[[T], Awaitable[None] | None]
log = logging.getLogger('balances.signals')


class Signal(Generic[T]):
    """Values of one type, to whoever listens."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Listener[T]] = []
        self._tasks: set[asyncio.Future[None]] = set()

    def __len__(self) -> int:
        return len(self._listeners)

    def subscribe(self, listener: Listener[T]) -> Callable[[], None]:
        """Call ``listener`` with every value from now on; returns what stops it."""
        self._listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Listener[T]) -> None:
        """Stop calling ``listener`` (nothing happens when it was not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def send(self, value: T) -> None:
        """Call every listener with ``value``, one after the other, awaiting those that return an awaitable."""
        for listener in list(self._listeners):
            try:
                result = listener(value)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception('a listener of %s failed', self.name)

    def emit(self, value: T) -> None:
        """Call every listener with ``value`` now; those that return an awaitable run as tasks."""
        for listener in list(self._listeners):
            try:
                result = listener(value)
            except Exception:
                log.exception('a listener of %s failed', self.name)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: 'asyncio.Future[None]') -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error('a listener of %s failed', self.name, exc_info=task.exception())
