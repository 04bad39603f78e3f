"""The one table of the moves between an application's statuses (the statuses
themselves are in contracts: other contexts read them).

Every status change goes through `check_transition`, so no code path can, say,
approve a withdrawn application. Pure: no database, unit-tested on its own.
"""

from apps.applications.contracts import ApplicationStatus
from kernel import errors

# Only a submitted application is undecided; every other status is final.
ALLOWED_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.SUBMITTED: frozenset(
        {
            ApplicationStatus.APPROVED,
            ApplicationStatus.REJECTED,
            ApplicationStatus.WITHDRAWN,
            ApplicationStatus.CLOSED,
        }
    ),
    ApplicationStatus.APPROVED: frozenset(),
    ApplicationStatus.REJECTED: frozenset(),
    ApplicationStatus.WITHDRAWN: frozenset(),
    ApplicationStatus.CLOSED: frozenset(),
}

# A renter may hold at most one application in these per listing.
ACTIVE_STATUSES = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED})


class InvalidTransition(errors.Conflict):
    """The application's status does not allow the move: a Conflict, so 409 through the API."""


def can_transition(current: str, target: str) -> bool:
    return ApplicationStatus(target) in ALLOWED_TRANSITIONS[ApplicationStatus(current)]


def check_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless `current` may become `target`."""
    if not can_transition(current, target):
        raise InvalidTransition(f"An application that is {current} cannot become {target}.")
