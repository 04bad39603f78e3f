"""A bad value for the data chart is refused by its values.schema.json, naming it,
before anything reaches a cluster (`helm template` runs install's checks)."""

import pytest

from helm.tests.data_chart_rendering import CI_VALUES, template


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("kafka.tag=latest", "kafka/tag"),
        ("kafka.replicas=2", "kafka/replicas"),
        ("kafka.minInsyncReplicas=1", "kafka/minInsyncReplicas"),
        ("kafka.heap=512m", "kafka/heap"),
        ("elasticsearch.heap=", "elasticsearch/heap"),
        ("redis.quorum=1", "redis/quorum"),
        ("postgres.replicas=1", "postgres/replicas"),
        ("postgres.resources.limits.memory=lots", "postgres/resources/limits/memory"),
        ("placement.zoneSpread=Sometimes", "placement/zoneSpread"),
        ("redis.sentinels=3", "redis"),  # a misspelt key
    ],
)
def test_the_schema_refuses_a_bad_value_and_names_it(setting, named):
    completed = template(settings=(setting,))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert named in completed.stderr, completed.stderr


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda path: path.name)
def test_every_ci_values_file_renders(values):
    completed = template(values)
    assert completed.returncode == 0, completed.stderr
