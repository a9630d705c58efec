"""Secrets stay out of logs, proxies are believed only when named, keys are long enough."""

import logging

import pytest
from pydantic import ValidationError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.access_log import RedactSecrets, redact
from api.serve import production_warnings, web_config
from models.settings import Settings

KEY = "q8Xr2-LmZ0vT7bNcY4wHs9JdKf1gPaE6uRiOtV3nMx5"  # like secrets.token_urlsafe(32)


def test_unit_links_and_codes_never_reach_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/q/Zk3-secret_Token/template.xlsx?code=K7QF-92MD", "1.1", 200),
        None,
    )  # fmt: skip

    assert RedactSecrets().filter(record)

    assert record.getMessage() == '127.0.0.1:5000 - "GET /q/…/template.xlsx?code=… HTTP/1.1" 200'
    assert redact("/survey/kalush-2024?lang=uk&code=ABCD") == "/survey/kalush-2024?lang=uk&code=…"


def test_forwarded_headers_are_believed_only_from_named_proxies(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    default = web_config(settings, host="127.0.0.1", port=8000)
    default.load()
    assert not isinstance(default.loaded_app, ProxyHeadersMiddleware)

    behind = web_config(
        settings.model_copy(update={"trusted_proxies": "10.0.0.5"}), host="127.0.0.1", port=8000
    )
    behind.load()
    assert isinstance(behind.loaded_app, ProxyHeadersMiddleware)


@pytest.mark.parametrize("key", ["short-key-of-31-characters-xxxx", "x" * 20])
def test_a_short_or_empty_secret_key_is_refused_in_production(key: str) -> None:
    with pytest.raises(ValidationError, match="INFOAUDIT_SECRET_KEY закороткий"):
        Settings(environment="production", secret_key=key)


@pytest.mark.parametrize("environment", ["development", "production"])
@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_secret_key_is_refused_everywhere(environment: str, key: str) -> None:
    with pytest.raises(ValidationError, match="INFOAUDIT_SECRET_KEY порожній"):
        Settings(environment=environment, secret_key=key)


def test_serve_warns_of_a_short_or_repetitive_secret_key_in_production() -> None:
    public = "https://audit.example.org"
    for weak in ("k" * 50, "Kp3-x9QzL0vRt7mWb2YcNf5hJs8dGa1"):  # one letter; 31+1 characters
        settings = Settings(environment="production", secret_key=weak + "!", base_url=public)
        assert [w.split(" ")[0] for w in production_warnings(settings)] == ["INFOAUDIT_SECRET_KEY"]
    strong = Settings(environment="production", secret_key=KEY, base_url=public)
    assert production_warnings(strong) == []


def test_serve_warns_of_a_loopback_or_plain_http_base_url_in_production() -> None:
    key = KEY
    loopback = Settings(environment="production", secret_key=key)
    assert [w.split(":")[0] for w in production_warnings(loopback)] == [
        "INFOAUDIT_BASE_URL=http",
        "INFOAUDIT_BASE_URL не починається з https",
    ]
    public = Settings(
        environment="production", secret_key=key, base_url="https://audit.example.org"
    )
    assert production_warnings(public) == []
    assert production_warnings(Settings()) == []  # development: no nagging


def test_serve_warns_that_the_installation_wide_portal_token_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        environment="production", secret_key=KEY, base_url="https://audit.example.org"
    )
    assert production_warnings(settings) == []
    monkeypatch.setenv("INFOAUDIT_PORTAL_TOKEN", "an-old-installation-wide-key")
    warnings = production_warnings(settings)
    assert [w.split(" ")[0] for w in warnings] == ["INFOAUDIT_PORTAL_TOKEN"]
