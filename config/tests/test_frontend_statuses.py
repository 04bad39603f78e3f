"""The web front end speaks the contexts' statuses without importing them.

It talks to the contexts over their public APIs only (import-linter forbids it to
import apps/), so it writes the statuses it compares with as literals in its views
and templates. This test holds every such literal to the contexts' contracts, so a
renamed or removed status fails here rather than silently hiding a button.
"""

import re
from enum import StrEnum
from pathlib import Path

import pytest

from apps.applications.contracts import ApplicationStatus, ClosedReason
from apps.listings.contracts import ListingStatus

FRONTEND = Path(__file__).resolve().parent.parent.parent / "frontend"
COMPARED = r'\s*[!=]=\s*"(\w+)"'
PATTERNS: list[tuple[str, type[StrEnum]]] = [
    (r'listing(?:\.status|\["status"\])' + COMPARED, ListingStatus),
    (r'application(?:\.status|\["status"\])' + COMPARED, ApplicationStatus),
    (r"closed_reason" + COMPARED, ClosedReason),
]


def _sources() -> str:
    files = [*FRONTEND.rglob("*.html"), *FRONTEND.rglob("*.py")]
    return "\n".join(path.read_text() for path in files if "tests" not in path.parts)


@pytest.mark.parametrize(("pattern", "enum"), PATTERNS, ids=lambda p: getattr(p, "__name__", ""))
def test_every_status_the_front_end_compares_with_is_in_the_contract(pattern, enum):
    used = set(re.findall(pattern, _sources()))
    assert used, f"no comparison with a {enum.__name__} found: is this test still looking?"
    assert used <= {member.value for member in enum}


def test_the_front_ends_active_application_statuses_are_application_statuses():
    search = (FRONTEND / "views" / "search.py").read_text()
    active = re.search(r"ACTIVE_STATUSES = \(([^)]*)\)", search).group(1)
    assert set(re.findall(r'"(\w+)"', active)) <= {member.value for member in ApplicationStatus}
