"""The OpenAPI description as the API really answers (issue 16).

FastAPI's generated description is completed here, in one place, so that no route decorator has
to repeat it (and engineers editing routes at the same time do not collide):

- every refusal has the body api/errors.py really sends, one shared `ErrorRead` component, in
  place of FastAPI's `HTTPValidationError`;
- every status a route can answer is declared, from what the route depends on (a login: 401
  and 403; a body: 400, 413, 415; any input: 404, 409, 422) and a short table of the few
  refusals only some services make (429, 502);
- `$defs` nested in hand-declared bodies (`openapi_extra`) become `components/schemas`
  references, which every client can resolve;
- integer path parameters say their bound (a signed 64-bit row id: api.deps.ids_in_range);
- the two ways to log in (a bearer token, or the console's cookie with its CSRF token) are
  security schemes, required where the route needs a login.

A route may still declare its own `responses=`: its descriptions are kept, its error bodies
get the shared schema.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from api.deps import MAX_ID, current_account, read_body
from api.schemas import ErrorRead

ERROR_COMPONENT = "ErrorRead"
ERROR_REF = f"#/components/schemas/{ERROR_COMPONENT}"
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")

DESCRIPTIONS = {
    400: "Запит неможливо прочитати (пошкоджене тіло, надто глибока вкладеність)",
    401: "Потрібно увійти: немає токена або сесія закінчилася",
    403: "Недостатньо прав для цієї дії, або зміна з cookie без X-CSRF-Token",
    404: "Не знайдено (або належить іншій організації)",
    409: "Дія суперечить стану: етап закрито, запис уже існує",
    413: "Запит або файл завеликий (повідомлення називає межу)",
    415: "Непідтримуваний формат тіла запиту",
    422: "Перевірте введені дані: поле і причина в `errors`",
    429: "Забагато спроб: повторіть після `Retry-After` секунд",
    502: "Зовнішній сервіс (позначка часу, портал) не відповів",
}

# Refusals that only some services make, by (method, path) as the route declares it.
EXTRA_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/auth/login"): (401, 429),  # a wrong password; the lockout
    # The first organization needs no login; the next ones, the installation's administrator.
    ("post", "/api/organizations"): (401, 403),
    ("post", "/api/survey/{slug}/responses"): (429,),  # the survey's rate limit per network
    ("post", "/api/cycles/{cycle_id}/report/versions/{number}/sign"): (502,),  # the TSA
}

BEARER_SCHEME = "bearerToken"
COOKIE_SCHEME = "sessionCookie"
SECURITY_SCHEMES = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "Токен з POST /api/auth/login у заголовку `Authorization: Bearer …`.",
    },
    COOKIE_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": "infoaudit_session",
        "description": (
            "Сесія консолі. Зміни (POST, PUT, PATCH, DELETE) з cookie приймаються лише з "
            "CSRF-токеном сторінки в заголовку `X-CSRF-Token`."
        ),
    },
}


def install_openapi(app: FastAPI) -> None:
    """Serve the completed description at /openapi.json (built once, on first request)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """The generated description with the refusals, references, bounds and logins above."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_model(schemas, ErrorRead, ERROR_COMPONENT)
    for root in list(_nested_roots(schema.get("paths", {}))):
        _hoist_defs(root, schemas)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    # Included routers are walked as FastAPI's own generator walks them (with their prefixes
    # and their dependencies, the app's ids_in_range among them).
    by_operation = {
        (method.lower(), route.path_format): route
        for route in iter_route_contexts(routes)
        if isinstance(route.original_route, APIRoute) and route.include_in_schema
        for method in route.methods or ()
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = by_operation.get((method, path))
            if route is not None:
                _complete_operation(operation, route, (method, path))
    for name in _FASTAPI_ERRORS:
        if not _referenced(schema, f"#/components/schemas/{name}"):
            schemas.pop(name, None)
    return schema


def _complete_operation(
    operation: dict[str, Any], route: RouteContext, key: tuple[str, str]
) -> None:
    calls = set(_calls(route.dependant))
    needs_login = current_account in calls
    has_body = "requestBody" in operation or read_body in calls or route.body_field is not None
    has_input = has_body or bool(operation.get("parameters"))
    statuses: set[int] = set(EXTRA_STATUSES.get(key, ()))
    if has_input or needs_login:
        statuses |= {404, 409, 422}
    if needs_login:
        statuses |= {401, 403}
        operation["security"] = [{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}]
    if has_body:
        statuses |= {400, 413, 415}
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), {})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            default = DESCRIPTIONS.get(int(status), "Помилка")
            if response.get("description") in (None, "", "Validation Error"):
                response["description"] = default
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    operation["responses"] = dict(sorted(responses.items()))
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
            # Row ids and numbers start at 1; one past a signed 64-bit integer names nothing.
            parameter["schema"].setdefault("minimum", 1)
            parameter["schema"].setdefault("maximum", MAX_ID)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every function the route depends on, through sub-dependencies."""
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is not None:
            yield current.call
        stack.extend(current.dependencies)


def _add_model(schemas: dict[str, Any], model: Any, name: str) -> None:
    document = model.model_json_schema(ref_template="#/$defs/{model}")
    _hoist_defs(document, schemas)
    schemas[name] = document


def _nested_roots(node: Any) -> Iterator[dict[str, Any]]:
    """The schemas under the paths that carry their own `$defs`."""
    if isinstance(node, dict):
        if "$defs" in node:
            yield node
        for value in node.values():
            yield from _nested_roots(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nested_roots(item)


def _hoist_defs(root: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Move a schema's `$defs` into components (same name when the same schema is already
    there, a new one when another schema took the name) and point its references there."""
    definitions: dict[str, Any] = root.pop("$defs", {})
    names: dict[str, str] = {}
    for name, definition in definitions.items():
        target = name
        while target in schemas and not _same(schemas[target], definition, definitions):
            target = f"{root.get('title', 'Body')}{target}" if target == name else f"{target}_"
        names[name] = target
    for name, definition in definitions.items():
        schemas[names[name]] = _rewrite(definition, names)
    root.update(_rewrite(root, names))


def _same(existing: Any, definition: Any, definitions: dict[str, Any]) -> bool:
    """Whether a component is the definition (nested references compared by name)."""
    identity = {name: name for name in definitions}
    return bool(_rewrite(existing, {}) == _rewrite(definition, identity))


def _rewrite(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            return {**node, "$ref": f"#/components/schemas/{names.get(name, name)}"}
        return {key: _rewrite(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(item, names) for item in node]
    return node


def _referenced(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_referenced(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_referenced(item, ref) for item in node)
    return False


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
