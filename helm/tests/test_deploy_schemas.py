"""Every rendering (charts with their ci values, every overlay in every cell) is valid
Kubernetes 1.34, strictly: an unknown or misspelt field fails, as the API server's
strict field validation would refuse it at install time."""

import functools

import kubernetes_validate
import pytest
from kubernetes_validate import utils

from helm.tests.deploy_rendering import KUBERNETES_VERSION, all_renderings

# kubernetes-validate reads its schema files again for every object (~25 ms for the
# 1.34 definitions): read each once, a tenth of the time.
utils.schema_contents = functools.cache(utils.schema_contents)


def problems(documents: list[dict]) -> list[str]:
    found = []
    for doc in documents:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(part) for part in error.path)
            found.append(f"{name}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            found.append(
                f"{name}: {doc.get('apiVersion')} {doc.get('kind')} is not in Kubernetes 1.34"
            )
    return found


@pytest.mark.parametrize("rendering", all_renderings(), ids=lambda rendering: rendering.name)
def test_rendering_is_valid_kubernetes_1_34(rendering):
    documents = rendering.documents
    assert documents, "rendered nothing"
    assert problems(documents) == []


def test_the_validation_refuses_an_unknown_field():
    # So a passing check above means something: strict mode is on and 1.34 is known.
    misspelt = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": 80}], "trafficDistributon": "PreferClose"},
    }
    assert len(problems([misspelt])) == 1
    misspelt["spec"]["trafficDistribution"] = misspelt["spec"].pop("trafficDistributon")
    assert problems([misspelt]) == []
