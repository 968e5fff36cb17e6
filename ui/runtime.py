"""What one run of the app holds for its pages: the live models, the boards, the reads pages share

Created by the app's lifespan (``main.py``) when it starts and closed when it stops; pages reach it through the app's
state, never through a module's global, so that nothing of one run leaks into the next.
"""

from dataclasses import dataclass

from nicegui import app

from services.reading.live import LiveContracts
from ui.boards import Boards, SharedReads


@dataclass
class Runtime:
    live: LiveContracts
    boards: Boards
    reads: SharedReads

    @classmethod
    def start(cls, live: LiveContracts) -> 'Runtime':
        """The pages' side of a run, over its live models (started already)."""
        runtime = cls(live, Boards(live), SharedReads())
        app.state.runtime = runtime
        return runtime

    async def close(self) -> None:
        await self.boards.close()


def current() -> Runtime:
    """The runtime of the app's current run."""
    runtime = getattr(app.state, 'runtime', None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError('the app is not running')
    return runtime
