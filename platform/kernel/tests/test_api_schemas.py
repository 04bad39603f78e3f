"""The committed OpenAPI schemas (docs/api/*.yaml, held to what each deployable
serves by its own suite) follow the rules every client relies on."""

import re
from pathlib import Path

import pytest
import yaml

API_DOCS = Path(__file__).resolve().parents[3] / "docs" / "api"
SCHEMAS = {path.stem: yaml.safe_load(path.read_text()) for path in sorted(API_DOCS.glob("*.yaml"))}
OPERATIONS = [
    (service, path, method, operation)
    for service, schema in SCHEMAS.items()
    for path, item in schema["paths"].items()
    for method, operation in item.items()
]
ERROR_REFS = {"#/components/schemas/Error", "#/components/schemas/ValidationError"}
# File uploads take a multipart body, as a browser's form sends it; all else is JSON.
UPLOADS = {"listings_photos_upload"}


def ids(entry) -> str:
    return f"{entry[2].upper()} {entry[1]}"


def test_every_api_deployable_has_a_committed_schema():
    assert set(SCHEMAS) == {
        "accounts",
        "applications",
        "listings",
        "notifications",
        "payments",
        "search",
        "analytics",
    }


def test_operation_ids_are_readable_and_unique_across_deployables():
    operation_ids = [operation["operationId"] for *_, operation in OPERATIONS]
    assert len(operation_ids) == len(set(operation_ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", op) for op in operation_ids), operation_ids


@pytest.mark.parametrize("entry", OPERATIONS, ids=ids)
def test_an_operation_is_tagged_with_its_first_path_segment(entry):
    _, path, _, operation = entry
    assert operation["tags"] == [path.removeprefix("/api/v1/").split("/")[0]]


@pytest.mark.parametrize("entry", OPERATIONS, ids=ids)
def test_an_operation_documents_the_refusals_its_shape_implies(entry):
    service, path, _, operation = entry
    responses = operation["responses"]
    security = operation.get("security", [])
    if any(requirement for requirement in security):  # reads a token
        assert "401" in responses
        schemes = SCHEMAS[service]["components"]["securitySchemes"]
        assert all(name in schemes for requirement in security for name in requirement)
    if "requestBody" in operation:
        assert {"400", "413"} <= set(responses)
        body = "multipart/form-data" if operation["operationId"] in UPLOADS else "application/json"
        assert list(operation["requestBody"]["content"]) == [body]
    if "{" in path:
        assert "404" in responses
    if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
        assert {"400", "414"} <= set(responses)
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            schema = response["content"]["application/json"]["schema"]
            assert schema["$ref"] in ERROR_REFS, (status, schema)
