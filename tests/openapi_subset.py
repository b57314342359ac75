"""A small validator for the subset of JSON Schema that Airflow's generated OpenAPI spec uses.

Supports ``$ref`` (``#/components/schemas/...``), ``type`` (incl. ``null``), ``enum``, ``const``,
``required``, ``properties``, ``additionalProperties`` (bool or schema), ``items``, ``prefixItems``,
``anyOf``, ``oneOf``, ``allOf``, ``minimum``/``maximum``, ``minLength``/``maxLength``, ``pattern``,
``minItems``/``maxItems`` and the ``date-time``/``uuid`` formats. Unknown keywords (``title``,
``description``, ``default``...) are annotations and ignored. ``jsonschema`` is not a project
dependency, hence this.
"""
from __future__ import annotations

import datetime as dt
import functools
import pathlib
import re
import uuid

import yaml

AIRFLOW_SPEC = pathlib.Path(__file__).parent / "fixtures" / "airflow" / "v2-rest-api-generated.yaml"

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


@functools.lru_cache(maxsize=4)
def load_spec(path: str = str(AIRFLOW_SPEC)) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def _format_ok(fmt: str, v: str) -> bool:
    if fmt == "date-time":
        if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", v):
            return False
        try:
            dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    if fmt == "uuid":
        try:
            uuid.UUID(v)
        except ValueError:
            return False
        return True
    return True


def validate(value, schema: dict, spec: dict, path: str = "$") -> list[str]:
    """All violations of ``schema`` by ``value`` (empty list: valid)."""
    errs: list[str] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        target = spec
        for part in ref[2:].split("/"):
            target = target[part]
        errs += validate(value, target, spec, path)
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_TYPES[x](value) for x in types):
            return errs + [f"{path}: expected {t}, got {type(value).__name__} {str(value)[:60]!r}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path}: {value!r} != const {schema['const']!r}")
    if "anyOf" in schema and not any(not validate(value, s, spec, path) for s in schema["anyOf"]):
        errs.append(f"{path}: matches none of anyOf: " + "; ".join(
            e for s in schema["anyOf"] for e in validate(value, s, spec, path)[:1]))
    if "oneOf" in schema and sum(not validate(value, s, spec, path) for s in schema["oneOf"]) != 1:
        errs.append(f"{path}: does not match exactly one of oneOf")
    for s in schema.get("allOf", ()):
        errs += validate(value, s, spec, path)
    if isinstance(value, dict):
        for req in schema.get("required", ()):
            if req not in value:
                errs.append(f"{path}: missing required {req!r}")
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errs += validate(v, props[k], spec, f"{path}.{k}")
            else:
                ap = schema.get("additionalProperties", True)
                if ap is False:
                    errs.append(f"{path}: unexpected property {k!r}")
                elif isinstance(ap, dict):
                    errs += validate(v, ap, spec, f"{path}.{k}")
    if isinstance(value, list):
        prefix = schema.get("prefixItems", [])
        for i, v in enumerate(value):
            if i < len(prefix):
                errs += validate(v, prefix[i], spec, f"{path}[{i}]")
            elif isinstance(schema.get("items"), dict):
                errs += validate(v, schema["items"], spec, f"{path}[{i}]")
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(f"{path}: more than {schema['maxItems']} items")
    if isinstance(value, str):
        if "format" in schema and not _format_ok(schema["format"], value):
            errs.append(f"{path}: {value!r} is not a {schema['format']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append(f"{path}: longer than {schema['maxLength']}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{path}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{path}: {value} > maximum {schema['maximum']}")
    return errs


def validate_component(value, name: str) -> list[str]:
    """Validate against ``#/components/schemas/<name>`` of the Airflow spec."""
    spec = load_spec()
    return validate(value, {"$ref": f"#/components/schemas/{name}"}, spec)
