"""The committed OpenAPI contract of a deployable, and what breaks its clients.

Each API deployable's schema is committed as docs/api/<deployable>.yaml. Its
suite fails when the schema it serves differs from that copy, and when the copy
differs from the last committed one (git, HEARTH_API_BASE_REF or HEAD) by a
breaking change that docs/api/CHANGELOG.md does not name. `manage.py
api_schema` rewrites the copy and prints the breaking changes to name.

Breaking, for a client written against the old schema: an operation or a
response field gone, a field's type changed, a request input newly required or
an input or an enum value of a request no longer accepted.
"""

import subprocess
from pathlib import Path

import yaml
from django.conf import settings

METHODS = ("get", "put", "post", "patch", "delete")


def committed_path(service: str) -> Path:
    return Path(settings.BASE_DIR) / "docs" / "api" / f"{service}.yaml"


def changelog_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "api" / "CHANGELOG.md"


def as_yaml(schema: dict) -> str:
    return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100)


def load_committed(service: str) -> dict | None:
    path = committed_path(service)
    return yaml.safe_load(path.read_text()) if path.exists() else None


def load_from_git(service: str, ref: str) -> dict | None:
    """The copy as committed at `ref`; None if git or the file is not there."""
    relative = committed_path(service).relative_to(settings.BASE_DIR)
    try:
        shown = subprocess.run(  # noqa: S603 - git itself, given a ref from the test run's settings
            ["git", "show", f"{ref}:{relative}"],  # noqa: S607 - whichever git is on PATH
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return yaml.safe_load(shown.stdout) if shown.returncode == 0 else None


def unnamed_breaking_changes(service: str, old: dict, new: dict) -> list[str]:
    """The breaking changes from `old` to `new` that the changelog does not name."""
    changelog = changelog_path().read_text() if changelog_path().exists() else ""
    return [change for change in breaking_changes(service, old, new) if change not in changelog]


def breaking_changes(service: str, old: dict, new: dict) -> list[str]:
    """One line per change, as the changelog names it: `<service>: <what>`."""
    return [f"{service}: {change}" for change in _Diff(old, new).changes()]


class _Diff:
    def __init__(self, old: dict, new: dict) -> None:
        self.old, self.new = old, new

    def changes(self) -> list[str]:
        found = []
        for path, old_item in self.old.get("paths", {}).items():
            new_item = self.new.get("paths", {}).get(path, {})
            for method in METHODS:
                if method not in old_item:
                    continue
                where = f"{method.upper()} {path}"
                if method not in new_item:
                    found.append(f"{where} removed")
                    continue
                found += self._operation(where, old_item[method], new_item[method])
        return found

    def _operation(self, where: str, old: dict, new: dict) -> list[str]:
        found = []
        old_params = {(p["in"], p["name"]): p for p in old.get("parameters", [])}
        for key, parameter in {(p["in"], p["name"]): p for p in new.get("parameters", [])}.items():
            if parameter.get("required") and not old_params.get(key, {}).get("required"):
                found.append(f"{where}: parameter {key[1]} newly required")
        for key, parameter in old_params.items():
            new_param = next(
                (p for p in new.get("parameters", []) if (p["in"], p["name"]) == key), None
            )
            if new_param is None:
                found.append(f"{where}: parameter {key[1]} no longer accepted")
            else:
                found += self._request(f"{where}: parameter {key[1]}", parameter, new_param)
        old_body = _json_schema(old.get("requestBody", {}))
        new_body = _json_schema(new.get("requestBody", {}))
        if old_body is not None and new_body is not None:
            found += self._request_schema(f"{where} request", old_body, new_body)
        elif new_body is not None and new.get("requestBody", {}).get("required"):
            found.append(f"{where}: request body newly required")
        for status, old_response in old.get("responses", {}).items():
            new_response = new.get("responses", {}).get(status)
            if new_response is None:
                continue  # a status no longer given breaks no client
            old_schema, new_schema = _json_schema(old_response), _json_schema(new_response)
            if old_schema is not None and new_schema is not None:
                found += self._response_schema(f"{where} {status}", old_schema, new_schema)
        return found

    def _request(self, where: str, old: dict, new: dict) -> list[str]:
        return self._request_schema(where, old.get("schema", {}), new.get("schema", {}))

    def _request_schema(self, where: str, old: dict, new: dict) -> list[str]:
        old, new = self._resolve(old, self.old), self._resolve(new, self.new)
        found = _type_changes(where, old, new)
        old_enum, new_enum = old.get("enum"), new.get("enum")
        if old_enum and new_enum:
            found += [
                f"{where}: value {v!r} no longer accepted" for v in old_enum if v not in new_enum
            ]
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        newly_required = set(new.get("required", [])) - set(old.get("required", []))
        found += [f"{where}: field {name} newly required" for name in sorted(newly_required)]
        for name, old_prop in old_props.items():
            if name not in new_props:
                found.append(f"{where}: field {name} no longer accepted")
            else:
                found += self._request_schema(f"{where}.{name}", old_prop, new_props[name])
        return found

    def _response_schema(self, where: str, old: dict, new: dict) -> list[str]:
        old, new = self._resolve(old, self.old), self._resolve(new, self.new)
        found = _type_changes(where, old, new)
        if old.get("type") == "array" and new.get("type") == "array":
            return found + self._response_schema(
                f"{where}[]", old.get("items", {}), new.get("items", {})
            )
        new_props = new.get("properties", {})
        for name, old_prop in old.get("properties", {}).items():
            if name not in new_props:
                found.append(f"{where}: field {name} removed")
            elif not old_prop.get("writeOnly"):
                found += self._response_schema(f"{where}.{name}", old_prop, new_props[name])
        return found

    def _resolve(self, schema: dict, document: dict) -> dict:
        """A $ref, or an allOf/oneOf of one $ref (how drf-spectacular wraps enums), followed."""
        for _ in range(10):
            wrapped = schema.get("allOf") or schema.get("oneOf")
            if "$ref" in schema:
                name = schema["$ref"].rsplit("/", 1)[-1]
                schema = {**document["components"]["schemas"][name]}
            elif wrapped and len(wrapped) >= 1 and "$ref" in wrapped[0] and len(wrapped) <= 2:
                schema = {**schema, **self._resolve(wrapped[0], document)}
                schema.pop("allOf", None)
                schema.pop("oneOf", None)
            else:
                break
        return schema


def _json_schema(holder: dict) -> dict | None:
    media = holder.get("content", {}).get("application/json")
    return media.get("schema") if media else None


def _type_changes(where: str, old: dict, new: dict) -> list[str]:
    old_type, new_type = old.get("type"), new.get("type")
    if old_type and new_type and old_type != new_type:
        return [f"{where}: type {old_type} became {new_type}"]
    return []
