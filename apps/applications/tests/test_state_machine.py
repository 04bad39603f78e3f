"""The transition table, on its own: only a submitted application can change."""

import itertools

import pytest
from rest_framework.exceptions import APIException

from apps.applications.contracts import ApplicationStatus
from apps.applications.state_machine import (
    ACTIVE_STATUSES,
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    can_transition,
    check_transition,
)
from kernel import errors
from kernel.api.exceptions import exception_handler

S = ApplicationStatus
ALLOWED = {
    (S.SUBMITTED, S.APPROVED),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.SUBMITTED, S.CLOSED),
}


def test_every_status_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == set(S)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_only_the_listed_transitions_are_allowed(current, target):
    allowed = (current, target) in ALLOWED
    assert can_transition(current, target) is allowed
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition, match=f"{current} cannot become {target}"):
            check_transition(current, target)


def test_an_invalid_transition_is_a_domain_conflict_answered_with_409():
    with pytest.raises(errors.Conflict) as raised:
        check_transition("approved", "withdrawn")
    # The domain's own error, not DRF's: the state machine also runs in consumers.
    assert not isinstance(raised.value, APIException)
    response = exception_handler(raised.value, {})
    assert response.status_code == 409
    assert response.data == {"detail": "An application that is approved cannot become withdrawn."}


def test_plain_strings_work_as_statuses():
    assert can_transition("submitted", "approved")
    assert not can_transition("closed", "submitted")


def test_submitted_and_approved_are_the_active_statuses():
    assert {S.SUBMITTED, S.APPROVED} == ACTIVE_STATUSES
