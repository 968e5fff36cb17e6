"""Print the README's configuration table, generated from the settings model

    .venv/bin/python scripts/config_table.py

Paste it between the ``config-table`` markers of README.md; ``tests/services/infrastructure/test_settings.py``
fails while the two differ.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.infrastructure.settings import table_rows


def table() -> str:
    lines = ['| variable | meaning | default |', '|---|---|---|']
    lines += [f'| {name} | {meaning} | {default} |' for name, meaning, default in table_rows()]
    return '\n'.join(lines)


if __name__ == '__main__':
    print(table())
