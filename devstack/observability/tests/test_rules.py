"""The alerting and recording rules, checked and unit-tested by Debian's promtool
(installed by `make up`), and every rule named by a test."""

import shutil
import subprocess

import pytest
import yaml

from devstack.observability import RULES_DIR

TESTS_DIR = RULES_DIR.parent / "rules-tests"


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make up` installs Debian's prometheus package"
    return found


def rules() -> list[dict]:
    return [
        rule
        for path in sorted(RULES_DIR.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def test_promtool_passes_the_rules_and_their_tests():
    rule_files = [str(path) for path in sorted(RULES_DIR.glob("*.yml"))]
    checked = subprocess.run(
        [promtool(), "check", "rules", *rule_files], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = [str(path) for path in sorted(TESTS_DIR.glob("*_test.yml"))]
    tested = subprocess.run(
        [promtool(), "test", "rules", *tests],
        capture_output=True,
        text=True,
        check=False,
        cwd=TESTS_DIR,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule.get("alert") or rule["record"])
def test_every_rule_is_exercised_by_a_promtool_test(rule):
    """An alert is named by an alert_rule_test that expects it to fire; a recording
    rule is read by a promql_expr_test, or by another rule that is."""
    cases = [
        case
        for path in TESTS_DIR.glob("*_test.yml")
        for case in yaml.safe_load(path.read_text())["tests"]
    ]
    if "alert" in rule:
        firing = [
            check
            for case in cases
            for check in case.get("alert_rule_test", [])
            if check["alertname"] == rule["alert"] and check["exp_alerts"]
        ]
        assert firing, f"no test expects {rule['alert']} to fire"
        return
    read_by_expr = any(
        rule["record"] in check["expr"]
        for case in cases
        for check in case.get("promql_expr_test", [])
    )
    read_by_rule = any(rule["record"] in other["expr"] for other in rules() if other is not rule)
    assert read_by_expr or read_by_rule, f"nothing tests {rule['record']}"
