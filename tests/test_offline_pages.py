"""No page needs the internet: every src/href/action of every page (and every url() of their
stylesheets) stays on this site, and /docs, in Chromium, requests nothing from elsewhere."""

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from models.clock import FixedClock
from tests.factories import at, create_organization, launch, login, plan, token_of

URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "content"}


class Links(HTMLParser):
    """Every URL-bearing attribute of a page, as (tag, attribute, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the URLs (a meta's content only when it is a refresh)."""
        values = dict(attrs)
        for name, value in attrs:
            if name not in URL_ATTRIBUTES or value is None:
                continue
            if name == "content" and (values.get("http-equiv") or "").lower() != "refresh":
                continue
            self.found.append((tag, name, value))


INLINE_SCHEMES = ("data:", "blob:")  # carried inside the page: nothing is downloaded


def foreign(base: str, urls: list[str]) -> list[str]:
    """The URLs (relative to base) that leave base's origin."""
    origin = urlsplit(base)[:2]
    return [
        url
        for url in urls
        if not url.strip().lower().startswith(INLINE_SCHEMES)
        and urlsplit(urljoin(base, url.strip()))[:2] != origin
    ]


def page_urls(html: str) -> list[str]:
    """Every URL a page's markup points at (srcset and meta refresh split into URLs)."""
    parser = Links()
    parser.feed(html)
    urls: list[str] = []
    for _tag, name, value in parser.found:
        if name == "srcset":
            urls.extend(part.split()[0] for part in value.split(",") if part.strip())
        elif name == "content":
            urls.append(value.split("url=", 1)[-1])
        else:
            urls.append(value)
    return urls


def stylesheet_urls(css: str) -> list[str]:
    """What a stylesheet imports or points at with url()."""
    return re.findall(r"""url\(\s*['"]?([^'")\s]+)""", css) + re.findall(
        r"""@import\s+['"]([^'"]+)""", css
    )


def test_every_page_points_only_at_this_site(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    token = token_of(cycle["links"][0]["url"])
    survey = "/survey/" + cycle["survey_url"].rsplit("/", 1)[1]
    console = f"/console/cycles/{cycle['id']}"
    public = ["/", "/login", "/docs", "/q/not-a-link", f"/q/{token}", survey, f"{survey}/thanks"]
    logged_in = ["/console", "/console/units", "/console/accounts", "/console/cycles/new"]
    logged_in += [console, f"{console}/report"]
    clock.set(at("2024-09-24", 12))  # the survey and the questionnaires are open

    def get(path: str, headers: dict[str, str] | None = None) -> Any:
        headers = {"Accept": "text/html", **(headers or {})}  # as a browser asks
        response = client.get(path, headers=headers, follow_redirects=False)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), path
        return response

    responses = {path: get(path) for path in public}
    coordinator = login(client, org["coordinator_email"])  # the clock moved past the session
    responses.update({path: get(path, coordinator) for path in logged_in})
    assert "Посилання недійсне" in responses["/q/not-a-link"].text  # the error page
    clock.set(at("2024-10-07", 9))  # the consultation is over: the survey's notice page
    responses["closed survey"] = get(survey)
    assert "завершено 06.10.2024" in responses["closed survey"].text

    stylesheets: set[str] = set()
    away: dict[str, list[str]] = {}
    for name, response in responses.items():
        urls = page_urls(response.text)
        assert urls, f"{name}: no links at all (not even the stylesheet)"
        away[name] = foreign(str(response.url), urls)
        stylesheets.update(
            urljoin(str(response.url), u) for u in urls if u.split("?")[0].endswith(".css")
        )
    assert {name: urls for name, urls in away.items() if urls} == {}
    assert len(stylesheets) >= 2  # the app's and Swagger UI's
    for sheet in sorted(stylesheets):
        css = client.get(sheet)
        assert css.status_code == 200, sheet
        assert foreign(sheet, stylesheet_urls(css.text)) == [], sheet


def test_the_check_itself_finds_foreign_urls() -> None:
    html = (
        '<link rel="stylesheet" href="https://fonts.example.com/css"><a href="#main">x</a>'
        '<script src="//cdn.example.net/lib.js"></script><img srcset="/a.png 1x, '
        'http://other.example/b.png 2x"><form action="/q/abc"></form><a href="/docs">d</a>'
        '<meta http-equiv="refresh" content="0; url=https://elsewhere.example/">'
        '<meta name="viewport" content="width=device-width">'
    )
    assert foreign("http://testserver/page", page_urls(html)) == [
        "https://fonts.example.com/css",
        "//cdn.example.net/lib.js",
        "http://other.example/b.png",
        "https://elsewhere.example/",
    ]
    css = "@import 'https://fonts.example.com/x.css'; a { background: url(data:image/png;a) }"
    assert foreign("http://testserver/static/app.css", stylesheet_urls(css)) == [
        "https://fonts.example.com/x.css"
    ]


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_api_docs_load_nothing_from_elsewhere_in_chromium(live_server: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/docs")
    # Swagger UI read the schema and drew the API's operations.
    page.locator(".opblock").first.wait_for(timeout=60_000)
    assert page.locator(".opblock").count() > 20
    assert f"{live_server}/openapi.json" in requested
    assert foreign(live_server + "/", requested) == []
    context.close()
