"""make chaos's comparisons: kill steps, the Kafka quorum's leader, emails per
notification id, the outbox-against-inbox query."""

import argparse
import os
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from devstack.chaos.__main__ import parse_mix
from devstack.chaos.analysis import KillAnalysis, Stats
from devstack.chaos.checks import (
    Group,
    email_verdict,
    literal,
    mails_per_notification,
    missing_events_sql,
)
from devstack.chaos.kills import Done, Step, parse_step, quorum_leader_id
from devstack.chaos.load import DEFAULT_MIX
from devstack.chaos.report import KillRow


def test_a_kill_step_reads_at_action_target_and_hold():
    assert parse_step("60 node-kill node-a 20") == Step(60, "node-kill", "node-a", 20)
    assert parse_step("45 program apps:listings").hold == 30
    assert parse_step("10 node-cut pg-primary 5").target == "pg-primary"
    for wrong in ("60 explode node-a", "node-kill node-a", "60 node-kill"):
        with pytest.raises(ValueError, match="a kill is"):
            parse_step(wrong)


def test_the_quorum_leader_comes_from_the_status():
    status = "ClusterId: abc\nLeaderId:               2\nLeaderEpoch: 7\n"
    assert quorum_leader_id(status) == 2
    with pytest.raises(RuntimeError, match="no LeaderId"):
        quorum_leader_id("ClusterId: abc\n")


def test_email_verdict_finds_duplicates_and_unsent_emails():
    notifications = {"a": "sent", "b": "sent", "c": "pending", "d": "cancelled", "e": "sent"}
    # "x" was mailed twice but is not one of this run's notifications.
    counts = Counter({"a": 1, "b": 2, "x": 2, "e": 1})
    duplicates, owed, unsent = email_verdict(notifications, counts)
    assert duplicates == ["b"]
    assert owed == ["a", "b", "c", "e"]
    assert unsent == ["c"]


def _mail(directory, name: str, notification_id: str | None, mtime: float) -> None:
    message = EmailMessage()
    message["To"] = "someone@example.test"
    message["Subject"] = "Hello"
    if notification_id:
        message["X-Hearth-Notification-Id"] = notification_id
    message.set_content("Body")
    path = directory / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    os.utime(path, (mtime, mtime))


def test_mails_are_counted_per_notification_id_since_the_run(tmp_path):
    _mail(tmp_path, "1", "n1", 1000)
    _mail(tmp_path, "2", "n1", 1001)
    _mail(tmp_path, "3", "n2", 1002)
    _mail(tmp_path, "4", None, 1003)  # a mail without the header: not a notification
    _mail(tmp_path, "5", "n3", 10)  # before the run
    assert mails_per_notification(tmp_path, since=500) == Counter({"n1": 2, "n2": 1})


def test_missing_events_query_joins_every_outbox_to_the_groups_inbox():
    group = Group(
        "notifications",
        "hearth.notifications",
        ("hearth.accounts.v1",),
        ("accounts.user_registered", "accounts.o'dd"),
    )
    since = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    sql = missing_events_sql(group, ["accounts", "listings"], since)
    assert "FROM accounts.outbox UNION ALL SELECT" in sql
    assert "FROM listings.outbox" in sql
    assert "FROM notifications.inbox i WHERE i.consumer_group = 'hearth.notifications'" in sql
    assert "o.topic IN ('hearth.accounts.v1')" in sql
    assert "'accounts.o''dd'" in sql  # quoted, not injected
    assert "o.created_at >= '2026-12-02T03:00:00+00:00'" in sql
    assert literal("it's") == "'it''s'"


@pytest.mark.parametrize(
    ("recovery", "error_rate_errors", "error", "passed"),
    [
        (12.0, 0, None, True),
        (31.0, 0, None, False),  # recovery target: under 30 s
        (None, 0, None, False),  # never recovered
        (12.0, 2, None, False),  # 2 in 100: over 1 %
        (12.0, 0, "node kill failed", False),  # the kill itself failed
    ],
)
def test_a_kill_passes_only_within_every_target(recovery, error_rate_errors, error, passed):
    analysis = KillAnalysis(
        kill_at=30,
        baseline=Stats(100, 0, 0.05),
        window_end=60,
        window=Stats(100, error_rate_errors, 0.2),
        recovery_s=recovery,
    )
    done = Done(Step(30, "node-kill", "node-a", 20), "node-a", 30, 50, error)
    assert KillRow(done, analysis).passed is passed


def test_the_mix_overrides_shares_by_kind():
    mix = parse_mix("sign_in=1,register=0")
    assert mix["sign_in"] == 1
    assert mix["register"] == 0
    assert mix["search"] == DEFAULT_MIX["search"]
    for wrong in ("teleport=3", "search=lots"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_mix(wrong)
