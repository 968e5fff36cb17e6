"""Transfer suggestions: tokens a team will let expire, moved to a team that would use them in time

One click opens the assign dialog pre-filled, with its preview; nothing moves until the administrator confirms.
The list is the contract's live model's (``ui.hub``): it changes as usage and assignments change it.
"""

from collections.abc import Awaitable, Callable

from nicegui import ui

from services.reading.forecast import Suggestion
from ui.frame import heading, labelled, testable
from ui.hub import SharedBoard
from ui.i18n import day, number, t

Review = Callable[[Suggestion], Awaitable[None]]
SHOWN = 5


def suggestion_text(suggestion: Suggestion, lang: str) -> str:
    return t(
        'Move {quantity} tokens expiring {date} from {source} to {target} — recovers {recovers}',
        lang,
        quantity=number(suggestion.quantity, lang),
        date=day(suggestion.expires_at.date(), lang),
        source=suggestion.from_team_name,
        target=suggestion.to_team_name,
        recovers=number(suggestion.recovers, lang),
    )


class SuggestionsPanel:
    """The contract's suggestions (Flex), shown when there are some."""

    def __init__(self, shared: SharedBoard, lang: str, review: Review) -> None:
        self.shared, self.lang, self.review = shared, lang, review
        with ui.element('section').classes('q-card q-pa-md w-full column gap-2').mark('suggestions') as self.card:
            heading(t('Suggestions', lang))
            ui.label(
                t('Tokens that will expire unused at the last 28 days’ pace, where another team would use them.', lang)
            ).classes('text-body2 text-grey-8')
            self.rows = ui.column().classes('w-full gap-1')
        self.render()
        shared.listen('suggestions', self.render)
        ui.context.client.on_delete(lambda: shared.unlisten('suggestions', self.render))

    def render(self) -> None:
        found = self.shared.suggestions
        self.card.set_visibility(bool(found))
        self.rows.clear()
        with self.rows:
            for suggestion in found[:SHOWN]:
                with ui.row().classes('w-full items-center no-wrap gap-2').mark('suggestion'):
                    ui.icon('lightbulb', color='amber-9').props('aria-hidden=true')
                    ui.label(suggestion_text(suggestion, self.lang)).classes('grow text-body2')
                    review = ui.button(t('Review', self.lang), on_click=lambda s=suggestion: self.review(s))
                    review.props('flat dense no-caps color=primary')
                    testable(review, 'review').mark(f'review-{suggestion.from_team}-{suggestion.to_team}')
                    name = t(
                        'Review: {source} → {target}',
                        self.lang,
                        source=suggestion.from_team_name,
                        target=suggestion.to_team_name,
                    )
                    labelled(review, name)
