"""Run every test suite, each under the settings of the deployable it tests.

Django settings are per process, and each deployable has its own role, schema
and installed apps, so each suite is its own pytest run: the platform suite
(kernel, config, local stack) as the kernel alone, then each bounded context as
its own deployable, then the images and the Helm charts and overlays, then the
journey across the running platform. Ends with one combined line:
'N passed, N failed, N skipped'.

    python devstack/run_tests.py [SUITE ...] [-- PYTEST ARGS]
"""

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.services import SERVICES  # noqa: E402

SUITES: dict[str, tuple[str, list[str]]] = {
    "platform": ("config.settings.kernel_tests", ["platform", "config", "devstack"]),
    **{
        name: (f"config.settings.{name}", [service.app.replace(".", "/")])
        for name, service in SERVICES.items()
    },
    # The images as built (podman), then the charts and overlays as rendered (offline).
    "images": ("config.settings.kernel_tests", ["containers/tests"]),
    "deploy": ("config.settings.kernel_tests", ["helm/tests"]),
    # Last: the journey across every deployable, against the running platform.
    "e2e": ("config.settings.kernel_tests", ["e2e"]),
}
REPORTS = ROOT / "var" / "test-reports"


def run_suite(name: str, pytest_args: list[str]) -> dict[str, int]:
    settings_module, paths = SUITES[name]
    report = REPORTS / f"{name}.xml"
    report.unlink(missing_ok=True)
    print(f"\n=== suite {name} ({settings_module}) ===", flush=True)
    started = time.monotonic()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--ds={settings_module}",
            f"--junitxml={report}",
            *paths,
            *pytest_args,
        ],
        cwd=ROOT,
        check=False,
    )
    seconds = time.monotonic() - started
    if not report.exists():  # pytest died before writing a report: count the suite as failed
        return {"passed": 0, "failed": 1, "skipped": 0, "exit": completed.returncode, "s": seconds}
    suite = ET.parse(report).getroot().find("testsuite")
    total, skipped = int(suite.get("tests")), int(suite.get("skipped"))
    failed = int(suite.get("failures")) + int(suite.get("errors"))
    return {
        "passed": total - skipped - failed,
        "failed": failed,
        "skipped": skipped,
        "exit": completed.returncode,
        "s": seconds,
    }


def main(argv: list[str]) -> int:
    names, pytest_args = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    unknown = set(names) - set(SUITES)
    if unknown:
        print(f"unknown suite(s) {sorted(unknown)}; choose from {list(SUITES)}", file=sys.stderr)
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    results = {name: run_suite(name, pytest_args) for name in names or SUITES}
    print("\n=== summary ===")
    for name, result in results.items():
        counts = ", ".join(f"{result[key]} {key}" for key in ("passed", "failed", "skipped"))
        print(f"{name:>14}: {counts} in {result['s']:.0f} s")
    passed, failed, skipped = (
        sum(r[key] for r in results.values()) for key in ("passed", "failed", "skipped")
    )
    # Exit code 5 means "no tests collected", a failure for a suite that should have some.
    broken = [name for name, r in results.items() if r["exit"] != 0]
    seconds = sum(r["s"] for r in results.values())
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped in {seconds:.0f} s")
    return 1 if broken or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
