"""Downloads say what they hold: accents kept as letters in their names, the expiry dates the screen shows"""

from datetime import UTC, date, datetime
from decimal import Decimal

from services.reading.exports import file_name, to_csv
from services.reading.timeline import TokenEvent
from ui.exports import events_table


def test_a_file_name_keeps_the_letters_of_accented_names() -> None:
    name = file_name('usage', 'Atelier Lumière', 'Équipe Façade', date(2026, 9, 2), extension='csv')
    assert name == 'usage-atelier-lumiere-equipe-facade-2026-09-02.csv'
    assert file_name('usage', '東京', extension='csv') == 'usage.csv'  # nothing to keep: what it is of, at least


def test_the_events_export_carries_the_expiry_dates_the_screen_shows() -> None:
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    events = [
        TokenEvent('purchase', at.date(), at, 1, 'Structure', Decimal(4000), expires_on=date(2027, 11, 2)),
        TokenEvent(
            'transfer_out',
            at.date(),
            at,
            1,
            'Structure',
            Decimal(600),
            2,
            'Architecture',
            moved=((date(2027, 1, 1), Decimal(100)), (date(2027, 11, 2), Decimal(500))),
            made_by='ana@x.fr',
        ),
    ]
    assert to_csv(events_table(events, 'en')).splitlines() == [
        'Date,Team,Event,Quantity,Expires on,By',
        '2026-11-02,Structure,Purchased,4000,2027-11-02,',
        '2026-11-02,Structure,Assigned to Architecture,600,"2027-01-01 (100), 2027-11-02 (500)",ana@x.fr',
    ]
