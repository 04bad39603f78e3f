"""The HPA step benchmark's pure logic: the schedule, the windows, the readings."""

import math

from bench.cluster_scaling import (
    HpaReading,
    Phases,
    Request,
    arrivals,
    at_minimum,
    not_ready_nodes,
    parse_hpas,
    percentile,
    replicas_by_deployable,
    scaling_times,
    windows,
)


def hpa(name, current, desired, cpu=None, minimum=1):
    metrics = []
    if cpu is not None:
        metrics = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": cpu}},
            }
        ]
    return {
        "metadata": {"name": name},
        "spec": {"minReplicas": minimum},
        "status": {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "currentMetrics": metrics,
        },
    }


def test_the_step_quadruples_the_arrivals_only_within_it():
    phases = Phases(lead=10, step=20)
    due = list(arrivals(phases, baseline=2, factor=4, until=40))
    assert sum(1 for t in due if t < 10) == 20
    assert sum(1 for t in due if 10 <= t < 30) == 160
    assert sum(1 for t in due if 30 <= t < 40) == 20


def test_percentile_is_nearest_rank_and_nan_when_empty():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 99) == 99
    assert percentile(values, 50) == 50
    assert percentile([7.0], 99) == 7
    assert math.isnan(percentile([], 99))


def test_windows_count_arrivals_when_due_and_answers_when_back():
    requests = [
        Request("api_search", due=0.0, done=0.1, status=200),
        Request("api_search", due=1.0, done=6.0, status=200),  # slow: back in the second
        Request("home_search", due=2.0, done=2.5, status=503),
        Request("listing_page", due=3.0, done=13.0, status=0),  # no answer
    ]
    first, second, third = windows(requests, interval=5, end=15)
    assert first["offered_rps"] == 4 / 5
    assert first["achieved_rps"] == 1 / 5
    assert first["errors"] == 1
    assert first["p99_ms"] == 100
    assert second["offered_rps"] == 0
    assert second["achieved_rps"] == 1 / 5
    assert second["p99_ms"] == 5000
    assert third["errors"] == 1
    assert third["error_statuses"] == {"0": 1}
    assert first["error_statuses"] == {"503": 1}
    assert math.isnan(third["p99_ms"])


def test_only_the_watched_web_hpas_are_read_with_their_zone_and_cpu():
    document = {
        "items": [
            hpa("hearth-listings-web-zone-a", 2, 2, cpu=130),
            hpa("hearth-frontend-web-zone-c", 1, 2),
            hpa("hearth-accounts-web-zone-a", 2, 2, cpu=90),
            hpa("hearth-listings-consumers", 3, 3, cpu=90, minimum=2),
        ]
    }
    readings = parse_hpas(document)
    assert [r.name for r in readings] == [
        "hearth-frontend-web-zone-c",
        "hearth-listings-web-zone-a",
    ]
    frontend, listings = readings
    assert (frontend.deployable, frontend.zone, frontend.cpu_percent) == (
        "frontend-web",
        "zone-c",
        None,
    )
    assert (listings.current, listings.desired, listings.cpu_percent) == (2, 2, 130)


def test_replicas_are_summed_over_zones_and_cpu_averaged_over_readings():
    readings = [
        HpaReading("a", "listings-web", "zone-a", 2, 2, 1, 120),
        HpaReading("b", "listings-web", "zone-b", 1, 2, 1, None),
        HpaReading("c", "listings-web", "zone-c", 2, 1, 1, 40),
        HpaReading("d", "frontend-web", "zone-a", 1, 1, 1, 10),
    ]
    summary = replicas_by_deployable(readings)
    assert summary["listings-web"] == {"current": 5, "desired": 5, "cpu_percent_mean": 80}
    assert summary["frontend-web"]["current"] == 1
    assert not at_minimum(readings)
    assert at_minimum([readings[3]])
    assert not at_minimum([])


def test_a_node_without_a_true_ready_condition_is_not_ready():
    def node(name, ready):
        conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
        return {"metadata": {"name": name}, "status": {"conditions": conditions}}

    document = {"items": [node("node-a", "True"), node("node-b", "Unknown"), node("node-c", None)]}
    assert not_ready_nodes(document) == ["node-b", "node-c"]


def test_scaling_times_count_from_the_step_start_and_end():
    def at(t, current, desired):
        return {"t": t, "by_deployable": {"listings-web": {"current": current, "desired": desired}}}

    samples = [at(0, 3, 3), at(60, 3, 3), at(70, 3, 5), at(80, 5, 6), at(90, 6, 6)]
    samples += [at(180, 6, 6), at(300, 4, 3), at(310, 3, 3)]
    times = scaling_times(samples, "listings-web", lead=60, end=180)
    assert times == {
        "at_rest": 3,
        "peak": 6,
        "first_scale_up_s": 10,
        "peak_at_s": 30,
        "back_at_rest_s": 130,
    }
    assert scaling_times(samples[:6], "listings-web", lead=60, end=180)["back_at_rest_s"] is None
