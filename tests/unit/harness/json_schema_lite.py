"""A small, stdlib-only JSON Schema validator for braid-bench's report schema.

Supports the subset that docs/braid-bench-report.schema.json uses: type (a name or a
list of names), required, properties, items, enum, minimum. Annotations ($schema, $id,
title, description) are ignored; any other keyword is an error, so that the schema never
asks for a check this validator would silently skip.

    errors = validate(report, schema)   # [] when valid; else "path: message" strings
"""

import math

_ANNOTATIONS = {"$schema", "$id", "title", "description"}
_SUPPORTED = {"type", "required", "properties", "items", "enum", "minimum"} | _ANNOTATIONS


class SchemaError(Exception):
    """The schema uses a keyword this validator does not implement."""


def _is_type(value, name):
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and not (isinstance(value, float) and (math.isnan(value) or math.isinf(value))))
    raise SchemaError("unknown type name %r" % name)


def validate(instance, schema, path="$"):
    """Returns the list of violations of `schema` by `instance` (empty: valid)."""
    unknown = set(schema) - _SUPPORTED
    if unknown:
        raise SchemaError("%s: unsupported schema keyword(s) %s" % (path, sorted(unknown)))
    errors = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(instance, n) for n in names):
            # The other keywords assume the type: stop here.
            return ["%s: expected %s, got %s" % (path, " or ".join(names), type(instance).__name__)]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append("%s: %r is not one of %r" % (path, instance, schema["enum"]))
    if "minimum" in schema and _is_type(instance, "number") and instance < schema["minimum"]:
        errors.append("%s: %r is below the minimum %r" % (path, instance, schema["minimum"]))
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append("%s: missing required property %r" % (path, key))
        for key, sub in schema.get("properties", {}).items():
            if key in instance:
                errors.extend(validate(instance[key], sub, "%s.%s" % (path, key)))
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            errors.extend(validate(item, schema["items"], "%s[%d]" % (path, i)))
    return errors
