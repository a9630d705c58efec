"""The OpenAPI description says what the API really answers and checks (issue 16).

Schemathesis against the served app (.ci/schemathesis.sh) found 422 bodies unlike the documented
`HTTPValidationError`, undocumented statuses, schema-valid requests refused, a `$defs` reference
no client can resolve and server errors for numbers and texts no database can hold. These tests
pin each one down in-process; the script runs the whole description in CI.
"""

import re
import sqlite3
from typing import Annotated, Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.errors import install_error_handlers
from models.bounds import MAX_INTEGER, trimmed
from models.clock import FixedClock
from models.plan import Name
from models.schemas import RespondentCreate
from models.standards import PHONE_PATTERN
from tests.console_pages import launched_cycle
from tests.factories import create_organization, plan

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def lenient(app: FastAPI) -> TestClient:
    """A client that sees the 500 a server error would give (instead of the exception)."""
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def description(lenient: TestClient) -> dict[str, Any]:
    """The description as clients download it."""
    response = lenient.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(description: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in description["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _conforms(description: dict[str, Any], method: str, path: str, response: Any) -> dict[str, Any]:
    """The documented answer for this status, after checking the body against its schema."""
    documented = description["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (method, path, response.status_code)
    answer: dict[str, Any] = documented[str(response.status_code)]
    schema = answer["content"]["application/json"]["schema"]
    # The whole description is the root, so that "#/components/…" resolves.
    jsonschema_rs.validate({**description, **schema}, response.json())
    return answer


def test_every_reference_resolves_in_components(description: dict[str, Any]) -> None:
    schemas = description["components"]["schemas"]
    refs = set(_refs(description))

    assert refs, "the description uses references"
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    assert "$defs" not in str(description)
    launch = description["paths"]["/api/cycles"]["post"]["requestBody"]["content"]
    assert launch["application/json"]["schema"] == launch["application/yaml"]["schema"]


def test_every_refusal_is_documented_with_the_body_the_api_sends(
    description: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in description["components"]["schemas"]
    error = description["components"]["schemas"]["ErrorRead"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}
    for method, path, operation in _operations(description):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorRead"}, (method, path)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in operation["responses"], (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)


def test_routes_that_need_a_login_say_so(description: dict[str, Any]) -> None:
    schemes = description["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerToken"]["description"],
    }
    assert schemes["sessionCookie"]["name"] == "infoaudit_session"
    cycle = description["paths"]["/api/cycles/{cycle_id}"]["get"]
    assert {"401", "403"} <= set(cycle["responses"])
    assert cycle["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    survey = description["paths"]["/api/survey/{slug}"]["get"]
    assert "security" not in survey
    assert "401" not in survey["responses"]


def test_real_refusals_have_documented_statuses_and_shapes(
    lenient: TestClient, description: dict[str, Any], clock: FixedClock
) -> None:
    org = create_organization(lenient)
    cycle = "/api/cycles/{cycle_id}"
    cases = [
        # (method, documented path, request path, headers, body, status)
        ("get", cycle, "/api/cycles/1", {}, None, 401),
        ("post", "/api/cycles", "/api/cycles", org["mayor"], plan(), 403),
        ("get", cycle, "/api/cycles/424242", org["coordinator"], None, 404),
        ("get", cycle, "/api/cycles/not-a-number", org["coordinator"], None, 422),
        ("post", "/api/cycles", "/api/cycles", org["coordinator"], {"year": 1900}, 422),
    ]
    for method, path, url, headers, body, status in cases:
        response = lenient.request(method, url, headers=headers, json=body)
        assert response.status_code == status, (url, response.text)
        _conforms(description, method, path, response)

    accounts = f"/api/organizations/{org['id']}/accounts"
    own = next(
        a
        for a in lenient.get(accounts, headers=org["coordinator"]).json()
        if a["email"] == org["coordinator_email"]
    )
    path = "/api/organizations/{organization_id}/accounts/{account_id}"
    demoted = lenient.patch(
        f"{accounts}/{own['id']}", headers=org["coordinator"], json={"role": "working_group"}
    )
    assert demoted.status_code == 409, demoted.text
    _conforms(description, "patch", path, demoted)

    # No portal yet: a state to change first (409, as for publishing), not bad input.
    path = "/api/organizations/{organization_id}/portal/snapshots"
    snapshot = lenient.post(path.format(organization_id=org["id"]), headers=org["coordinator"])
    assert snapshot.status_code == 409, snapshot.text
    _conforms(description, "post", path, snapshot)

    as_text = lenient.post(
        "/api/cycles",
        headers={**org["coordinator"], "content-type": "text/plain"},
        content=b"year: 2024",
    )
    assert as_text.status_code == 415
    _conforms(description, "post", "/api/cycles", as_text)

    wrong = lenient.post(
        "/api/auth/login", json={"email": org["coordinator_email"], "password": "not it"}
    )
    assert wrong.status_code == 401
    _conforms(description, "post", "/api/auth/login", wrong)


def test_ids_beyond_a_64_bit_integer_are_not_found_and_documented(
    lenient: TestClient, description: dict[str, Any], clock: FixedClock
) -> None:
    state = launched_cycle(lenient, clock)
    headers = state["org"]["coordinator"]
    for path in (
        "/api/cycles/-67036591573940830208",
        "/api/cycles/-6779373170808387010560/register/proposals",
        "/api/cycles/1/survey/texts/-99999999999999999999999",
        "/api/questionnaire/%C2%A4/%C2%B3",  # "³" is a digit to str.isdigit, not to int()
    ):
        response = lenient.get(path, headers=headers)
        assert response.status_code in (404, 405), (path, response.text)

    for method, path, operation in _operations(description):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if parameter["in"] == "path" and schema.get("type") == "integer":
                assert (schema["minimum"], schema["maximum"]) == (1, MAX_INTEGER), (method, path)


def test_every_email_in_a_request_carries_its_pattern(description: dict[str, Any]) -> None:
    request_schemas: list[Any] = [
        operation["requestBody"]
        for _method, _path, operation in _operations(description)
        if "requestBody" in operation
    ]
    names = {ref.rsplit("/", 1)[1] for ref in _refs(request_schemas)}
    schemas = description["components"]["schemas"]
    for _ in range(5):  # follow references inside referenced schemas
        names |= {ref.rsplit("/", 1)[1] for name in names for ref in _refs(schemas[name])}
    emails = [
        (name, prop)
        for name in names
        for field, prop in schemas[name].get("properties", {}).items()
        if "email" in field
    ]

    assert {name for name, _prop in emails} >= {"AccountCreate", "LoginCreate", "UnitCreate"}
    for name, prop in emails:
        variants = prop.get("anyOf", [prop])
        strings = [v for v in variants if v.get("type") == "string"]
        assert strings, name
        assert all(v.get("pattern") for v in strings), name
        assert re.search(strings[0]["pattern"], "coordinator@example.org"), name
        assert not re.search(strings[0]["pattern"], "coordinator at example.org"), name


def test_trimmed_texts_publish_what_is_checked(description: dict[str, Any]) -> None:
    unit = description["components"]["schemas"]["UnitCreate"]["properties"]["name"]
    assert unit["minLength"] == 1
    assert not re.search(unit["pattern"], "   ")
    assert re.search(unit["pattern"], "  Відділ  ")

    # Every character: if the schema admits a text, pydantic (which trims first) takes it.
    name = TypeAdapter(Name)
    at_least_three: TypeAdapter[str] = TypeAdapter(
        Annotated[str, trimmed(min_length=3, max_length=50)]
    )
    one_pattern = name.json_schema()["pattern"]
    three_pattern = at_least_three.json_schema()["pattern"]
    for code in range(0x3100):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        for text in (char, f" {char} ", f"{char}\u3000{char}", f"{char}a{char}"):
            for adapter, pattern in ((name, one_pattern), (at_least_three, three_pattern)):
                if re.search(pattern, text):
                    adapter.validate_python(text)


def test_a_phone_the_schema_admits_is_taken(description: dict[str, Any]) -> None:
    phone = description["components"]["schemas"]["RespondentCreate"]["properties"]["phone"]
    assert (phone["pattern"], phone["maxLength"]) == (PHONE_PATTERN, 200)
    for text in (
        "",
        "+380 (44) 123-45-67",
        "044 123 45 67; 0671234567",
        "0671234567," * 18,  # 198 characters: normalised, longer than 200, still taken
    ):
        assert re.search(PHONE_PATTERN, text)
        RespondentCreate(full_name="Особа", phone=text)
    for text in ("12345", "0" * 40, "+1 202 555 0100"):
        assert not re.search(PHONE_PATTERN, text)
        with pytest.raises(ValidationError):
            RespondentCreate(full_name="Особа", phone=text)


def test_texts_and_numbers_no_database_holds_are_422_not_500(
    lenient: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(lenient, clock)
    org = state["org"]
    accounts = f"/api/organizations/{org['id']}/accounts"
    surrogate = lenient.post(
        accounts,
        headers={**org["coordinator"], "content-type": "application/json"},
        content=b'{"email": "x@example.org", "password": "\\udaf4 trombone lantern orbit 92"}',
    )
    assert surrogate.status_code == 422, surrogate.text
    assert surrogate.json()["errors"] == [
        {
            "field": "password",
            "message": "текст містить недопустимі символи (непарні сурогати UTF-16)",
        }
    ]
    long_password = lenient.post(
        accounts,
        headers=org["coordinator"],
        json={"email": "long@example.org", "password": "horse battery staple " * 5},
    )
    assert long_password.status_code == 201, long_password.text  # 105 characters

    register = lenient.post(
        f"/api/organizations/{org['id']}/register",
        headers=org["coordinator"],
        json=[
            {"number": 2**64, "name": "Набір", "units": ["Загальний відділ"], "periodicity": "x"}
        ],
    )
    assert register.status_code == 422, register.text
    assert register.json()["errors"][0]["field"].endswith("number")


def test_a_number_past_the_shared_bounds_is_still_a_clean_4xx(
    lenient: TestClient, description: dict[str, Any], clock: FixedClock
) -> None:
    # A route-local model without bounds: the database cannot hold the number, the answer is
    # still a documented refusal (SQLite's driver raised OverflowError: a 500).
    state = launched_cycle(lenient, clock)
    path = "/api/cycles/{cycle_id}/interviews"
    response = lenient.post(
        path.format(cycle_id=state["cycle_id"]),
        headers=state["org"]["coordinator"],
        json={
            "unit_id": 2**64,
            "officials": "Іван Петренко",
            "scheduled_at": "2024-10-01T10:00:00+03:00",
        },
    )
    assert 400 <= response.status_code < 500, response.text
    _conforms(description, "post", path, response)


def test_a_surrogate_or_a_huge_number_reaching_sqlite_is_a_422() -> None:
    # A plain `str` or `int` lets them through pydantic; SQLite's driver then raises. The
    # handlers turn that into the sender's 422, any other such error stays a 500.
    app = FastAPI()
    install_error_handlers(app)

    class Body(BaseModel):
        text: str = ""
        number: int = 0

    @app.post("/api/probe")
    def probe(body: Body) -> dict[str, str]:
        with sqlite3.connect(":memory:") as connection:
            connection.execute("select ?, ?", (body.text, body.number))
        return {"status": "ok"}

    @app.post("/api/other")
    def other() -> None:
        "é".encode("ascii")  # a bug of ours, not the sender's text

    client = TestClient(app, raise_server_exceptions=False)
    headers = {"content-type": "application/json"}
    text = client.post("/api/probe", headers=headers, content=b'{"text": "\\udaf4"}')
    number = client.post("/api/probe", json={"number": 2**64})
    fine = client.post("/api/probe", json={"text": "так", "number": 2**62})
    ours = client.post("/api/other")

    assert (text.status_code, number.status_code, fine.status_code) == (422, 422, 200)
    assert "сурогати" in text.json()["detail"]
    assert "діапазоном" in number.json()["detail"]
    assert ours.status_code == 500
