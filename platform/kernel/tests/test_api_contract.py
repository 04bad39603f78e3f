"""What kernel.api.contract counts as a breaking change to a committed schema."""

import copy

from kernel.api.contract import breaking_changes

SCHEMA = {
    "paths": {
        "/api/v1/things/{id}": {
            "get": {
                "parameters": [{"in": "path", "name": "id", "required": True}],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    }
                },
            },
            "patch": {
                "parameters": [{"in": "query", "name": "dry_run", "schema": {"type": "boolean"}}],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PatchedThingRequest"}
                        }
                    }
                },
                "responses": {"204": {"description": ""}},
            },
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"allOf": [{"$ref": "#/components/schemas/KindEnum"}]},
                    "size": {"type": "integer"},
                },
            },
            "KindEnum": {"type": "string", "enum": ["a", "b"]},
            "PatchedThingRequest": {
                "type": "object",
                "properties": {
                    "kind": {"allOf": [{"$ref": "#/components/schemas/KindEnum"}]},
                    "size": {"type": "integer"},
                },
            },
        }
    },
}


def changed(edit) -> list[str]:
    new = copy.deepcopy(SCHEMA)
    edit(new)
    return breaking_changes("things", SCHEMA, new)


def test_the_same_schema_breaks_nothing():
    assert changed(lambda schema: None) == []


def test_additions_break_nothing():
    def add(schema):
        schema["components"]["schemas"]["Thing"]["properties"]["colour"] = {"type": "string"}
        schema["components"]["schemas"]["KindEnum"]["enum"].append("c")
        schema["paths"]["/api/v1/things"] = {"get": {"responses": {}}}

    assert changed(add) == []


def test_a_removed_operation_or_response_field_breaks():
    def remove(schema):
        del schema["paths"]["/api/v1/things/{id}"]["patch"]
        del schema["components"]["schemas"]["Thing"]["properties"]["size"]

    assert changed(remove) == [
        "things: GET /api/v1/things/{id} 200: field size removed",
        "things: PATCH /api/v1/things/{id} removed",
    ]


def test_a_newly_required_input_or_a_refused_value_breaks():
    def tighten(schema):
        schema["components"]["schemas"]["PatchedThingRequest"]["required"] = ["size"]
        schema["paths"]["/api/v1/things/{id}"]["patch"]["parameters"][0]["required"] = True
        schema["components"]["schemas"]["KindEnum"]["enum"] = ["a"]

    assert changed(tighten) == [
        "things: PATCH /api/v1/things/{id}: parameter dry_run newly required",
        "things: PATCH /api/v1/things/{id} request: field size newly required",
        "things: PATCH /api/v1/things/{id} request.kind: value 'b' no longer accepted",
    ]


def test_a_changed_type_breaks():
    def retype(schema):
        schema["components"]["schemas"]["Thing"]["properties"]["size"] = {"type": "string"}

    assert "things: GET /api/v1/things/{id} 200.size: type integer became string" in changed(retype)
