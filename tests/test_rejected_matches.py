"""Rejected match proposals are remembered: later snapshots of the (fake, loopback) CKAN portal
never propose a rejected pair again but do propose the entry's next best candidate, the matches
page and the JSON API say how many were rejected, and matching the pair by hand lifts the
rejection; the matcher itself skips exactly the rejected pairs."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.portal_snapshot import take_snapshot
from models.account import Account
from models.clock import FixedClock
from models.db import session_scope
from models.event import AuditEvent
from models.publication import MatchMethod, RejectedMatch
from models.register import RegisterEntry
from models.services.matching import DatasetKey, EntryKey, propose_matches
from models.services.trail import describe_events
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.ckan import SearchHandler, SearchPortal, allow_portal, package
from tests.doubles.html import csrf_of
from tests.doubles.loopback import loopback_server
from tests.factories import at, login
from tests.portal_matches import stored_matches

EDUCATION = "Управління освіти"
NETWORK = "Мережа закладів освіти"
PARKING = "Реєстр місць для паркування"
# The unit's own portal organization: two datasets with the network's very title, and two
# close to the parking register's (92 % and 91.5 %).
OSVITA = [
    package(201, title=NETWORK),
    package(202, title=f"{NETWORK}."),
    package(301, title="Реєстр місць паркування"),
    package(302, title=f"{PARKING} 2024"),
]
LINE = "Раніше відхилено пропозицій для цього рядка: {}."


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A CKAN portal on a loopback port (on the allow list); yields its base URL."""
    SearchPortal.reset()
    SearchPortal.unit_orgs = {"osvita": OSVITA}
    with loopback_server(SearchHandler) as url:
        allow_portal(monkeypatch, url)
        yield url
    SearchPortal.reset()


def _holder(client: TestClient, org: dict[str, Any], portal: str) -> None:
    """The portal, the education unit's own organization on it, and two register entries."""
    api = f"/api/organizations/{org['id']}"
    education = next(u["id"] for u in org["units"] if u["name"] == EDUCATION)
    for url, body in (
        (f"{api}/portal", {"portal_url": portal, "portal_organization": "kalush-rada"}),
        (f"{api}/units/{education}/portal-organizations", {"portal_organizations": ["osvita"]}),
    ):
        response = client.put(url, headers=org["coordinator"], json=body)
        assert response.status_code == 200, response.text
    rows = [
        {"number": n, "name": name, "units": [EDUCATION], "periodicity": "щороку"}
        for n, name in ((1, NETWORK), (2, PARKING))
    ]
    response = client.post(f"{api}/register", headers=org["coordinator"], json=rows)
    assert response.status_code == 201, response.text


def _snapshot(org_id: int, day: str) -> None:
    outcome = take_snapshot(org_id, now=at(day))
    assert outcome.ok, outcome.message


def _rejected(org_id: int) -> set[tuple[int, str, str]]:
    with session_scope() as session:
        rows = session.execute(
            select(RegisterEntry.number, RejectedMatch.portal_id, RejectedMatch.rejected_by)
            .join(RegisterEntry, RegisterEntry.id == RejectedMatch.register_entry_id)
            .where(RejectedMatch.organization_id == org_id)
        ).tuples()
        return set(rows)


def _card(html: str, element_id: str) -> str:
    """The text of one card (`<li id=…>`) of the matches page."""
    found = re.search(rf'<li id="{element_id}">(.*?)</li>', html, re.S)
    assert found, f"no #{element_id} on the page"
    return found.group(1)


def test_a_rejected_pair_is_never_proposed_again_and_by_hand_lifts_it(
    portal: str, client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    _holder(client, org, portal)
    _snapshot(org["id"], "2024-09-21")
    name = MatchMethod.NAME
    assert stored_matches(org["id"]) == {1: ("pkg-201", False, name), 2: ("pkg-301", False, name)}

    # Reject 1 in the console, 2 through the JSON API (the same service).
    auditor_email = add_login(client, org, "auditor")
    console_login(client, auditor_email)
    base = f"/console/cycles/{cycle_id}/open-data/matches"
    token = csrf_of(client.get(base).text)

    def post(url: str, **data: Any) -> Any:
        return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)

    assert post(f"{base}/1/reject").status_code == 303
    api = f"/api/organizations/{org['id']}/register/matches"
    auditor = login(client, auditor_email)
    decided = client.post(
        f"{api}/decisions", headers=auditor, json={"numbers": [2], "decision": "reject"}
    )
    assert decided.json() == {"decided": 1}
    assert stored_matches(org["id"]) == {}
    assert {(n, pid) for n, pid, _ in _rejected(org["id"])} == {(1, "pkg-201"), (2, "pkg-301")}
    with session_scope() as session:
        account_id = session.scalars(select(Account.id).where(Account.email == auditor_email)).one()
    assert {by for _, _, by in _rejected(org["id"])} == {f"account:{account_id}"}

    # The next snapshot proposes the next best candidates: the same title, a close one.
    _snapshot(org["id"], "2024-09-22")
    assert stored_matches(org["id"]) == {1: ("pkg-202", False, name), 2: ("pkg-302", False, name)}
    html = client.get(base).text
    assert LINE.format(1) in _card(html, "proposal-1")
    assert LINE.format(1) in _card(html, "proposal-2")
    review = client.get(api, headers=auditor).json()
    assert [(p["entry"]["number"], p["entry"]["rejected"]) for p in review["proposals"]] == [
        (1, 1),
        (2, 1),
    ]

    # Rejecting all shown remembers every pair: 2 has no candidate left.
    response = post(f"{base}/reject-all", numbers=["2"])
    assert "Відхилено пропозицій: 1." in client.get(response.headers["location"]).text
    _snapshot(org["id"], "2024-09-23")
    assert stored_matches(org["id"]) == {1: ("pkg-202", False, name)}
    html = client.get(base).text
    assert LINE.format(2) in _card(html, "entry-2")
    assert LINE.format(1) in _card(html, "proposal-1")

    # By hand the auditor may still pick a rejected dataset; that pair's rejection is lifted.
    assert post(f"{base}/manual", number="2", portal_id="pkg-301").status_code == 303
    assert post(f"{base}/1/confirm").status_code == 303
    _snapshot(org["id"], "2024-09-24")
    assert stored_matches(org["id"]) == {
        1: ("pkg-202", True, name),
        2: ("pkg-301", True, MatchMethod.MANUAL),
    }
    assert {(n, pid) for n, pid, _ in _rejected(org["id"])} == {(1, "pkg-201"), (2, "pkg-302")}

    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("portal.match%"))
            .order_by(AuditEvent.id)
        )
        trail = [(e.action, e.details["number"], e.details["portal_id"]) for e in events]
    assert trail == [
        ("portal.match_rejected", 1, "pkg-201"),
        ("portal.match_rejected", 2, "pkg-301"),
        ("portal.match_rejected", 2, "pkg-302"),
        ("portal.match_set", 2, "pkg-301"),
        ("portal.match_confirmed", 1, "pkg-202"),
    ]


def test_removing_a_confirmed_match_remembers_the_pair_as_rejected(
    portal: str, client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    org = state["org"]
    _holder(client, org, portal)
    _snapshot(org["id"], "2024-09-21")
    auditor_email = add_login(client, org, "auditor")
    auditor = login(client, auditor_email)
    api = f"/api/organizations/{org['id']}/register"
    decided = client.post(
        f"{api}/matches/decisions", headers=auditor, json={"numbers": [1], "decision": "confirm"}
    )
    assert decided.json() == {"decided": 1}
    name = MatchMethod.NAME
    assert stored_matches(org["id"])[1] == ("pkg-201", True, name)

    # The auditor finds the confirmed match wrong and drops it: the pair is remembered.
    assert client.delete(f"{api}/1/match", headers=auditor).status_code == 204
    assert 1 not in stored_matches(org["id"])
    with session_scope() as session:
        account_id = session.scalars(select(Account.id).where(Account.email == auditor_email)).one()
    assert _rejected(org["id"]) == {(1, "pkg-201", f"account:{account_id}")}
    missing = client.delete(f"{api}/1/match", headers=auditor)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Рядок реєстру № 1 не зіставлено з набором."

    # The next snapshot proposes the entry's next best candidate, not the dropped pair.
    _snapshot(org["id"], "2024-09-22")
    assert stored_matches(org["id"])[1] == ("pkg-202", False, name)
    review = client.get(f"{api}/matches", headers=auditor).json()
    assert [(p["entry"]["number"], p["entry"]["rejected"]) for p in review["proposals"]] == [
        (1, 1),
        (2, 0),
    ]

    # Matching the pair by hand lifts the rejection, as before.
    assert client.delete(f"{api}/1/match", headers=auditor).status_code == 204
    assert {pid for _, pid, _ in _rejected(org["id"])} == {"pkg-201", "pkg-202"}
    again = client.put(f"{api}/1/match", headers=auditor, json={"portal_id": "pkg-201"})
    assert again.status_code == 200, again.text
    assert {pid for _, pid, _ in _rejected(org["id"])} == {"pkg-202"}
    _snapshot(org["id"], "2024-09-23")
    assert stored_matches(org["id"])[1] == ("pkg-201", True, MatchMethod.MANUAL)

    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("portal.match%"))
            .order_by(AuditEvent.id)
        )
        removed = [e for e in events if e.action == "portal.match_removed"]
        lines = [line.what for line in describe_events(session, removed)]
    assert [(e.details["number"], e.details["portal_id"]) for e in removed] == [
        (1, "pkg-201"),
        (1, "pkg-202"),
    ]
    assert lines == ["скасовано відповідність набору № 1 набору на порталі"] * 2


def _entry(id: int, name: str, portal_url: str | None = None) -> EntryKey:
    return EntryKey(id, id, name, portal_url, frozenset())


def _dataset(portal_id: str, title: str) -> DatasetKey:
    return DatasetKey(portal_id, f"slug-{portal_id}", title, None)


def _proposed(
    entries: list[EntryKey], datasets: list[DatasetKey], rejected: set[tuple[int, str]]
) -> dict[int, tuple[str, MatchMethod]]:
    proposals = propose_matches(entries, datasets, settled=set(), taken=set(), rejected=rejected)
    return {p.entry_id: (p.portal_id, p.method) for p in proposals}


def test_the_matcher_skips_exactly_the_rejected_pairs() -> None:
    # Two entries with one title, two close datasets: without a rejection the first entry gets
    # the closest one; with it, that one is still the second entry's.
    entries = [_entry(1, PARKING), _entry(2, PARKING)]
    datasets = [_dataset("d-92", "Реєстр місць паркування"), _dataset("d-91", f"{PARKING} 2024")]
    name = MatchMethod.NAME
    assert _proposed(entries, datasets, set()) == {1: ("d-92", name), 2: ("d-91", name)}
    assert _proposed(entries, datasets, {(1, "d-92")}) == {1: ("d-91", name), 2: ("d-92", name)}
    assert _proposed(entries, datasets, {(1, "d-92"), (1, "d-91")}) == {2: ("d-92", name)}

    # A rejected pair is not tied by the entry's stored link either, nor by its very title.
    linked = [_entry(3, "Штатний розпис", "https://data.gov.ua/dataset/slug-d-3")]
    staff = [_dataset("d-3", "Штатний розпис"), _dataset("d-4", "Штатний розпис.")]
    assert _proposed(linked, staff, set()) == {3: ("d-3", MatchMethod.LINK)}
    assert _proposed(linked, staff, {(3, "d-3")}) == {3: ("d-4", name)}
    assert _proposed(linked, staff, {(3, "d-3"), (3, "d-4")}) == {}
