"""Helpers for request bodies declared by hand in the OpenAPI description (`openapi_extra`)."""

from typing import Any


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its local `$defs` written in place (for a hand-declared body)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
