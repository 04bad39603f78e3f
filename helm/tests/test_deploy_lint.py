"""`helm lint --strict` for every chart under helm/, with each of its ci values files."""

import pytest

from helm.tests.deploy_rendering import (
    HELM_DIR,
    KUBERNETES_VERSION,
    OVERLAYS,
    charts,
    ci_values,
    environments,
    run,
    tool,
)


@pytest.mark.parametrize("chart", charts(), ids=lambda chart: chart.name)
def test_every_chart_has_ci_values(chart):
    assert ci_values(chart), f"{chart}/ci/ has no *-values.yaml: nothing would check it"


@pytest.mark.parametrize(
    ("chart", "values"),
    [(chart, values) for chart in charts() for values in ci_values(chart)],
    ids=lambda item: item.name,
)
def test_helm_lint_strict(chart, values):
    completed = run(
        tool("helm"),
        "lint",
        "--strict",
        str(chart),
        "--values",
        str(values),
        "--kube-version",
        KUBERNETES_VERSION,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("environment", environments())
def test_helm_lint_strict_with_each_environment_s_values(environment):
    completed = run(
        tool("helm"),
        "lint",
        "--strict",
        str(HELM_DIR / "hearth"),
        "--values",
        str(OVERLAYS / environment / "values.yaml"),
        "--kube-version",
        KUBERNETES_VERSION,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
