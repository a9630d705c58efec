from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.demo.pki import TestPki
from models.clock import FixedClock
from models.db import session_scope
from models.services.report.versions import store_version
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import PASSWORD

PDF = (Path(__file__).parent / "data" / "kep" / "report.pdf").read_bytes()


def test_shots(client: TestClient, clock: FixedClock, pki: TestPki, live_server: str, browser: Any) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    with session_scope() as session:
        store_version(session, cycle_id=cycle_id, pdf=PDF, number=1, now=clock.now())
        store_version(session, cycle_id=cycle_id, pdf=PDF + b"\n", number=2, now=clock.now())
    console_login(client, org["coordinator_email"])
    r = f"/console/cycles/{cycle_id}/report"
    client.post(f"{r}/versions/2/approve", data={"csrf_token": csrf_of(client.get(r).text)})
    client.post(f"{r}/versions/2/sign", data={"csrf_token": csrf_of(client.get(r).text), "signer_name": "Тестенко Марія", "password": pki.password}, files={"pkcs12": ("o.p12", pki.pkcs12, "application/x-pkcs12")})
    from models.organization import Unit
    from sqlalchemy import select
    with session_scope() as session:
        for i, u in enumerate(session.scalars(select(Unit))):
            if i < 2:
                u.email = f"unit{i}@example.org"
    page_html = client.get(f"/console/cycles/{cycle_id}").text
    import re
    m = re.search(r'name="request_key" value="([^"]+)"', page_html)
    print("has key", bool(m))
    if m: client.post(f"/console/cycles/{cycle_id}/links", data={"csrf_token": csrf_of(page_html), "request_key": m.group(1)})
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", org["coordinator_email"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Увійти").click()
    for name, url, anchor in (
        ("cycle", f"/console/cycles/{cycle_id}", "#links"),
        ("report", r, None),
        ("text", f"{r}/text", "#sections"),
        ("launch", "/console/cycles/new", "#questions"),
    ):
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server}{url}")
            if anchor:
                page.locator(anchor).scroll_into_view_if_needed()
            sw = page.evaluate("document.documentElement.scrollWidth")
            sel = {"cycle": "tr[id^=link-] *, p.download *, form[action$='/links'] *", "launch": "#questions *"}.get(name, "main *")
            wide = page.evaluate("""(SEL) => [...document.querySelectorAll(SEL)].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1)).slice(0, 8).map(e => e.tagName + ' ' + (e.id||'') + ' ' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent||'').slice(0,50))""", sel)
            print(name, width, wide)
            print(name, width, "scrollWidth", sw)
            page.screenshot(path=f"/tmp/shot_{name}_{width}.png", full_page=width == 360 and name != "launch" and name != "text")
    ctx.close()
