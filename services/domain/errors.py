"""Domain errors

Every refusal of the ledger is one of these, carrying its reason. The API maps each class once to an HTTP status,
the UI once to a message. A refused call has written nothing.
"""


class LedgerError(Exception):
    """Base of every refusal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(LedgerError):
    """Something that does not exist, or is not visible to the caller."""


class UnknownContract(NotFound):
    def __init__(self, contract_id: object) -> None:
        super().__init__(f'contract {contract_id} does not exist')
        self.contract_id = contract_id


class InvalidInput(LedgerError):
    """A value that breaks a rule of the contract; ``field`` names it, ``index`` is its item's place in a batch
    (``batch``: ``events``, ``sessions``)."""

    def __init__(self, field: str, message: str, *, index: int | None = None, batch: str = 'events') -> None:
        where = f'{batch}[{index}].{field}' if index is not None else field
        super().__init__(f'{where}: {message}')
        self.field = field
        self.index = index
        self.batch = batch
        self.reason = message


class UnknownTeam(InvalidInput):
    def __init__(
        self, team_id: object, *, field: str = 'team', index: int | None = None, batch: str = 'events'
    ) -> None:
        super().__init__(field, f'team {team_id} is not a team of this contract', index=index, batch=batch)
        self.team_id = team_id


class WrongMode(InvalidInput):
    """A team given for a cloud-credit contract's purchase, or missing where a flex contract needs one."""


class Conflict(LedgerError):
    """A well-formed request that the ledger's state refuses."""


class InsufficientBalance(Conflict):
    def __init__(self, *, holder: str, requested: str, available: str, event_id: str | None = None) -> None:
        what = f'event {event_id!r} needs' if event_id is not None else 'the request needs'
        super().__init__(f'{what} {requested} but {holder} has {available} available')
        self.event_id = event_id
        self.requested = requested
        self.available = available


class ClientIdConflict(Conflict):
    """A client id already used, in this contract and kind, with a different payload."""

    def __init__(self, kind: str, client_id: str) -> None:
        super().__init__(f'{kind} id {client_id!r} was already used with a different payload')
        self.kind = kind
        self.client_id = client_id


class NotInThisMode(Conflict):
    """Something that exists in one mode only (a team's product list: Flex)."""


class TransfersNotAvailable(Conflict):
    def __init__(self) -> None:
        super().__init__('transfers between teams exist only for Flex contracts; cloud credits are one shared pool')


class UnknownRule(NotFound):
    def __init__(self, rule_id: object) -> None:
        super().__init__(f'alert rule {rule_id} does not exist in this contract')
        self.rule_id = rule_id


class NothingToUndo(Conflict):
    """A transfer already undone, or whose tokens the receiving team has used, moved on, or lost to expiry."""

    def __init__(self, transfer: str, *, undone: bool) -> None:
        why = 'was undone already' if undone else 'left nothing to assign back: its tokens were used, moved or expired'
        super().__init__(f'transfer {transfer!r} {why}')
        self.undone = undone
