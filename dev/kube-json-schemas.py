#!/usr/bin/env python3
"""Turns Kubernetes' OpenAPI spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go
module) into the JSON schemas kubeconform reads, so manifests validate without a network.

    kube-json-schemas.py SWAGGER_JSON OUT_DIR

writes OUT_DIR/<kind>-<group>-<version>.json (e.g. deployment-apps-v1.json, service-v1.json),
the "standalone-strict" layout kubeconform looks up: every $ref inlined, and every object
that lists its properties refuses any other (a misspelt or misplaced field is an error, as
`kubectl apply --validate=strict` would say). Standard library only.
"""

import json
import os
import sys

DEFINITION_PREFIX = "#/definitions/"

# Kubernetes accepts these two as a JSON string or number; the spec calls them strings.
INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}
QUANTITY_DEFINITION = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def main(argv):
    if len(argv) != 3:
        sys.exit(f"usage: {argv[0]} SWAGGER_JSON OUT_DIR")
    with open(argv[1], encoding="utf-8") as spec_file:
        definitions = json.load(spec_file)["definitions"]
    os.makedirs(argv[2], exist_ok=True)
    written = 0
    for name, definition in definitions.items():
        kinds = definition.get("x-kubernetes-group-version-kind", [])
        # Shared types (DeleteOptions, WatchEvent) name every group; they are no manifest.
        if len(kinds) != 1:
            continue
        schema = strict(expand(definition, definitions, (name,)))
        with open(os.path.join(argv[2], file_name(kinds[0])), "w", encoding="utf-8") as out:
            json.dump(schema, out, separators=(",", ":"))
        written += 1
    if written == 0:
        sys.exit(f"{argv[1]}: no Kubernetes kinds found")
    print(f"{written} schemas written to {argv[2]}")


def file_name(kind):
    """kubeconform's name for a kind: apps/v1 Deployment → deployment-apps-v1.json."""
    group = kind["group"].split(".")[0]
    parts = [kind["kind"].lower()] + ([group] if group else []) + [kind["version"]]
    return "-".join(parts).lower() + ".json"


def expand(node, definitions, seen):
    """Inlines every $ref; a type that contains itself (only CRD schemas do) is left open."""
    if isinstance(node, list):
        return [expand(item, definitions, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref is not None:
        name = ref[len(DEFINITION_PREFIX):]
        if name == QUANTITY_DEFINITION:
            return dict(QUANTITY)
        if name in seen:
            return {}
        return expand(definitions[name], definitions, seen + (name,))
    if node.get("format") == "int-or-string":
        return dict(INT_OR_STRING)
    result = {}
    for key, value in node.items():
        if key == "properties":
            # Field names, not keywords: a field may well be called `description`.
            result[key] = {field: expand(schema, definitions, seen) for field, schema in value.items()}
        # Descriptions and extensions validate nothing; dropping them keeps the files small.
        elif key != "description" and not key.startswith("x-kubernetes-"):
            result[key] = expand(value, definitions, seen)
    return result


def strict(node):
    """Refuses unknown fields in every object that lists its fields."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        # `properties` maps field names to schemas: the names are not keywords.
        if key == "properties":
            result[key] = {field: strict(schema) for field, schema in value.items()}
        else:
            result[key] = strict(value)
    if "properties" in node and "additionalProperties" not in node:
        result["additionalProperties"] = False
    return result


if __name__ == "__main__":
    main(sys.argv)
