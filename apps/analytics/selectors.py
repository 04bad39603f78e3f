"""Analytics' reads: market figures over time, aggregated in PostgreSQL from the facts.

A scope is a landlord's id or None (staff: everything). A landlord sees the
markets (city and bedroom count) where they have listed, with every listing of
those markets counted, so their rents compare with the market's; the funnel is of
applications to their own listings.
"""

import uuid
from typing import Any

from django.db import connection

MAX_WEEKS = 104


def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    # Every query here is built from this module's constants; values are parameters.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _markets(landlord_id: uuid.UUID | None) -> tuple[str, list[Any]]:
    """A WHERE clause on listing facts (aliased f) limiting them to the scope's markets."""
    if landlord_id is None:
        return "TRUE", []
    return (
        "(f.city, f.bedrooms) IN "
        "(SELECT city, bedrooms FROM analytics_listingfact WHERE landlord_id = %s)",
        [landlord_id],
    )


def rents(*, landlord_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Median and 90th percentile of the asking rent, per city, bedroom count and
    month first published."""
    where, params = _markets(landlord_id)
    return _rows(
        f"""
        SELECT f.city, f.bedrooms, f.rent_currency AS currency,
               date_trunc('month', f.first_published_at)::date AS month,
               count(*) AS listings,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY f.rent_amount) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY f.rent_amount) AS p90
        FROM analytics_listingfact f
        WHERE f.first_published_at IS NOT NULL AND {where}
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """,  # noqa: S608 - built from constants; values are parameters
        params,
    )


def weekly_activity(*, landlord_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Listings first published and let per ISO week (Monday), the last two years."""
    where, params = _markets(landlord_id)
    return _rows(
        f"""
        WITH events AS (
            SELECT date_trunc('week', f.first_published_at)::date AS week, 1 AS published, 0 AS let
            FROM analytics_listingfact f WHERE f.first_published_at IS NOT NULL AND {where}
            UNION ALL
            SELECT date_trunc('week', f.let_at)::date, 0, 1
            FROM analytics_listingfact f WHERE f.let_at IS NOT NULL AND {where}
        )
        SELECT week, sum(published)::int AS published, sum(let)::int AS let
        FROM events GROUP BY week ORDER BY week DESC LIMIT {MAX_WEEKS}
        """,  # noqa: S608 - built from constants; values are parameters
        params * 2,
    )[::-1]


def funnel(*, landlord_id: uuid.UUID | None) -> dict[str, int]:
    """Applications submitted, and where they went: approved, rejected, withdrawn,
    closed (the listing went to someone else or left the market), still open."""
    where, params = ("landlord_id = %s", [landlord_id]) if landlord_id else ("TRUE", [])
    sql = f"SELECT status, count(*)::int AS n FROM analytics_applicationfact WHERE {where}"  # noqa: S608
    rows = _rows(f"{sql} GROUP BY status", params)
    counts = {row["status"]: row["n"] for row in rows}
    outcomes = ("approved", "rejected", "withdrawn", "closed")
    return {
        "submitted": sum(counts.values()),
        **{outcome: counts.get(outcome, 0) for outcome in outcomes},
        "open": counts.get("submitted", 0),
    }


def time_to_let(*, landlord_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Days from first publication to let, per city: median and 90th percentile."""
    where, params = _markets(landlord_id)
    return _rows(
        f"""
        SELECT f.city, count(*)::int AS let,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median_days,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90_days
        FROM (SELECT *, extract(epoch FROM let_at - first_published_at) / 86400 AS days
              FROM analytics_listingfact) f
        WHERE f.let_at IS NOT NULL AND f.first_published_at IS NOT NULL AND {where}
        GROUP BY f.city ORDER BY f.city
        """,  # noqa: S608 - built from constants; values are parameters
        params,
    )
