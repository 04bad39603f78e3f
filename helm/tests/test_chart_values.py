"""A bad value is refused before anything reaches a cluster, with a message that
names it: by values.schema.json, or by the chart's own checks of what a schema
cannot express (consumers beyond the partitions, missing external endpoints).

`helm template` is `helm install --dry-run` without a cluster (the same install
action, client-only): what it refuses, `helm install` refuses before any change."""

import pytest

from helm.tests.chart_rendering import CI_VALUES, template


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("image.tag=latest", "image/tag"),
        ("ingressController.image.tag=latest", "ingressController/image/tag"),
        ("dataTier.mode=onPremises", "dataTier/mode"),
        ("processes.beat.replicas=2", "processes/beat/replicas"),
        ("processes.web.resources.requests.memory=lots", "processes/web/resources/requests/memory"),
        ("ingressController.replicas=1", "ingressController/replicas"),
        ("publicUrl=hearth.example.com", "publicUrl"),
        ("ingress.hosts={}", "ingress/hosts"),
        ("deployables.accounts.processes={web,cron}", "deployables/accounts/processes"),
        ("deployables.accounts.stores={postgres,mongodb}", "deployables/accounts/stores"),
        ("dataTier.inCluster.relase=hearth-data", "dataTier/inCluster"),  # a misspelt key
        ("nonsense=1", "nonsense"),
    ],
)
def test_the_schema_refuses_a_bad_value_and_names_it(setting, named):
    completed = template(settings=(setting,))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert named in completed.stderr, completed.stderr


def test_consumers_may_not_outnumber_the_partitions():
    completed = template(settings=("autoscaling.consumers.maxReplicas=4",))
    assert completed.returncode != 0
    assert "may not exceed kafka.topicPartitions" in completed.stderr


def test_external_mode_needs_endpoints_and_addresses():
    completed = template(settings=("dataTier.mode=external",))
    assert completed.returncode != 0
    assert "dataTier.external.postgres" in completed.stderr, completed.stderr


@pytest.mark.parametrize("values_file", CI_VALUES, ids=lambda p: p.name)
def test_every_ci_values_file_is_accepted(values_file):
    completed = template(values_file)
    assert completed.returncode == 0, completed.stderr


def test_the_ci_values_cover_both_data_tiers():
    assert {p.name for p in CI_VALUES} >= {"incluster-values.yaml", "external-values.yaml"}
