"""Screenshots of the dashboards and of one trace for docs/observability.md.

    .venv/bin/python devstack/observability/screenshots.py

Needs the running stack (`make up`) with some traffic behind it (a test run, the
seed, the benchmarks). Playwright drives Debian's Chromium, as the browser tests do;
the pictures go to docs/images/observability-*.png.
"""

import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import sync_playwright

from devstack.layout import HOST, ROOT
from devstack.observability import DASHBOARDS_DIR, VM_PORT, ZIPKIN_PORT

IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"


def a_whole_trace() -> str:
    """The newest trace from the front end to the Celery task, through at least four
    deployables (e2e/test_tracing.py leaves one)."""
    query = urllib.parse.urlencode(
        {"spanName": "run/notifications.send_notification", "limit": 50, "lookback": 3_600_000}
    )
    url = f"http://{HOST}:{ZIPKIN_PORT}/api/v2/traces?serviceName=notifications&{query}"
    with urllib.request.urlopen(url, timeout=30) as response:
        traces = json.load(response)
    for spans in traces:
        services = {span["localEndpoint"]["serviceName"] for span in spans}
        if len(services) >= 4 and "frontend" in services:  # a journey from the browser
            return spans[0]["traceId"]
    raise SystemExit("no trace from four deployables yet: run e2e/test_tracing.py first")


def main() -> None:
    dashboards = {
        path.stem: json.loads(path.read_text())["title"]
        for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }
    trace_id = a_whole_trace()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(f"http://{HOST}:{VM_PORT}/vmui/#/dashboards?g0.range_input=30m")
        for name, title in dashboards.items():
            page.get_by_text(title, exact=True).first.click()  # the dashboard's tab
            page.wait_for_timeout(4000)  # every panel queries, then draws
            page.screenshot(path=IMAGES / f"observability-{name}.png", full_page=True)
        page.goto(f"http://{HOST}:{ZIPKIN_PORT}/zipkin/traces/{trace_id}")
        page.wait_for_timeout(4000)
        page.screenshot(path=IMAGES / "observability-trace.png", full_page=True)
        browser.close()
    print(f"trace {trace_id}; dashboards {', '.join(dashboards)}")


if __name__ == "__main__":
    main()
