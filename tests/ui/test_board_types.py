"""The page's code and the server agree on what a board holds: ui/board-types.d.ts says, field for field and type for
type, what ui/cards.py's dataclasses send (tsc then checks board.js against it, in ``make test``)"""

import re
import types
import typing
from dataclasses import fields
from pathlib import Path

from ui.cards import BoardView, CardView, SuggestionView

DECLARATIONS = Path(__file__).resolve().parents[2] / 'ui' / 'board-types.d.ts'
SCALARS = {str: 'string', int: 'number', float: 'number', bool: 'boolean'}


def typescript(hint: object) -> str:
    """A Python annotation as TypeScript writes the JSON it becomes."""
    if isinstance(hint, type) and hint in SCALARS:
        return SCALARS[hint]
    if hint is typing.Any:
        return 'unknown'
    if isinstance(hint, type):
        return hint.__name__
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return ' | '.join('null' if arg is type(None) else typescript(arg) for arg in args)
    if origin is tuple:
        return '[' + ', '.join(typescript(arg) for arg in args) + ']'
    if origin is dict:
        return f'Record<{typescript(args[0])}, {typescript(args[1])}>'
    if origin is list:
        return f'{typescript(args[0])}[]'
    raise TypeError(f'no TypeScript for {hint}')


def declared(name: str) -> dict[str, str]:
    body = re.search(rf'export interface {name} \{{\n(.*?)\n\}}', DECLARATIONS.read_text(), re.S)
    assert body, f'{name} is not declared in {DECLARATIONS.name}'
    return dict(re.findall(r'^\s+(\w+): (.+);$', body.group(1), re.M))


def test_the_declared_views_are_the_dataclasses_the_server_sends() -> None:
    for view in (CardView, SuggestionView, BoardView):
        hints = typing.get_type_hints(view)
        assert declared(view.__name__) == {field.name: typescript(hints[field.name]) for field in fields(view)}
