"""Market pages: analytics' figures drawn as SVG bar charts on the server (no
script), each with its numbers beside it. A landlord's covers the markets they list
in; the operations page, for staff, every market (analytics scopes by the token)."""

from django.shortcuts import render

from frontend.api import ANALYTICS, get_json
from frontend.pages import page

CHART_WIDTH, BAR_AREA_HEIGHT, LABEL_HEIGHT = 640, 160, 40


def bar_chart(labels: list[str], series: dict[str, list[float]]) -> dict:
    """Grouped bars: one group per label, one bar per series, heights to scale."""
    top = max([value for values in series.values() for value in values] or [0]) or 1
    group = CHART_WIDTH / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    bars = []
    for i, label in enumerate(labels):
        for j, (name, values) in enumerate(series.items()):
            height = values[i] / top * BAR_AREA_HEIGHT
            bars.append(
                {
                    "x": round(i * group + group * 0.1 + j * bar, 1),
                    "y": round(BAR_AREA_HEIGHT - height, 1),
                    "width": round(bar, 1),
                    "height": round(height, 1),
                    "series": j,
                    "title": f"{label}, {name}: {values[i]:g}",
                }
            )
    return {
        "width": CHART_WIDTH,
        "height": BAR_AREA_HEIGHT + LABEL_HEIGHT,
        "baseline": BAR_AREA_HEIGHT,
        "bars": bars,
        "labels": [
            {"x": round(i * group + group / 2, 1), "text": label} for i, label in enumerate(labels)
        ],
        "legend": list(series),
    }


LANDLORD_SCOPE = {
    "heading": "Your markets",
    "intro": "Every listing in the cities and sizes you list in, from Hearth's whole history.",
    "applications_to": "your listings",
    "nothing_in": "your markets",
}
STAFF_SCOPE = {
    "heading": "All markets",
    "intro": "Every listing and application on Hearth, from its whole history.",
    "applications_to": "every listing",
    "nothing_in": "any market",
}


@page(role="landlord", template="market.html")
def market(request):
    return _market_page(request, LANDLORD_SCOPE)


@page(staff=True, template="market.html")
def operations(request):
    return _market_page(request, STAFF_SCOPE)


def _market_page(request, scope: dict[str, str]):
    rents = get_json(request, ANALYTICS, "/api/v1/analytics/rents")["results"]
    weeks = get_json(request, ANALYTICS, "/api/v1/analytics/activity")["results"][-12:]
    funnel = get_json(request, ANALYTICS, "/api/v1/analytics/funnel")
    lets = get_json(request, ANALYTICS, "/api/v1/analytics/time-to-let")["results"]
    latest = {}
    for row in rents:  # the latest month of each market
        latest[(row["city"], row["bedrooms"])] = row
    markets = list(latest.values())
    outcomes = ["submitted", "approved", "rejected", "withdrawn", "closed", "open"]
    context = {
        "markets": markets,
        "rent_chart": bar_chart(
            [f"{m['city']}, {m['bedrooms']} bd" for m in markets],
            {"median": [m["median"] for m in markets], "p90": [m["p90"] for m in markets]},
        ),
        "weeks": weeks,
        "week_chart": bar_chart(
            [w["week"][5:] for w in weeks],
            {"published": [w["published"] for w in weeks], "let": [w["let"] for w in weeks]},
        ),
        "funnel": [(name, funnel[name]) for name in outcomes],
        "funnel_chart": bar_chart(outcomes, {"applications": [funnel[n] for n in outcomes]}),
        "lets": lets,
        "scope": scope,
    }
    return render(request, "market.html", context)
