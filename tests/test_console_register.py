"""The register page of the console: add, edit, retire, the Resolution 835 catalogue, the staff's
proposals, import and export; the empty-register notice on the cycle page; the JSON API's
parity over the same services."""

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import FixedClock
from models.db import session_scope
from models.event import AuditEvent
from models.periodicity import BasePeriod, parse_periodicity
from models.register import RegisterEntry, RegisterProposal, RegisterSource
from models.services.register import list_register
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import at, login, questionnaire, second_organization, token_of


def _entries() -> list[RegisterEntry]:
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(RegisterEntry).order_by(RegisterEntry.number).execution_options()
            )
        )
        session.expunge_all()
        return rows


def _actions(cycle_id: int) -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.cycle_id == cycle_id)
                .order_by(AuditEvent.id)
            )
        )


def _open(client: TestClient, clock: FixedClock) -> tuple[dict[str, Any], str, str]:
    state = launched_cycle(client, clock)
    console_login(client, state["org"]["coordinator_email"])
    url = f"/console/cycles/{state['cycle_id']}/register"
    return state, url, csrf_of(client.get(url).text)


def test_periodicity_reads_the_phrases_real_registers_use() -> None:
    assert parse_periodicity("в міру оновлення").unscheduled
    assert parse_periodicity("у разі змін").unscheduled
    assert parse_periodicity("щокварталу").base == BasePeriod.QUARTERLY
    assert parse_periodicity("щомісяця").base == BasePeriod.MONTHLY
    both = parse_periodicity("щороку та у разі внесення змін")
    assert (both.base, both.unscheduled) == (BasePeriod.ANNUAL, True)


def test_empty_register_is_announced_then_an_entry_is_added_edited_and_retired(
    client: TestClient, clock: FixedClock
) -> None:
    state, url, token = _open(client, clock)
    cycle_id, units = state["cycle_id"], state["org"]["units"]
    cycle_page = client.get(f"/console/cycles/{cycle_id}").text
    assert "Реєстр наборів даних порожній" in cycle_page
    assert f'href="{url}"' in cycle_page
    assert "Реєстр порожній" in client.get(url).text

    form = {
        "csrf_token": token,
        "name": "Перелік рішень виконавчого комітету",
        "periodicity": "коли заманеться",
        "unit_ids": [str(units[0]["id"]), str(units[1]["id"])],
        "officials": "Коваль Олена Іванівна – начальниця відділу, koval@example.org\n"
        "Дячук Ганна – спеціалістка",
        "source": "local",
    }
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    assert "Невідома періодичність: «коли заманеться»" in refused.text
    assert 'id="add-error"' in refused.text
    assert "Перелік рішень виконавчого комітету</textarea>" in refused.text  # input kept
    assert _entries() == []

    added = client.post(url, data={**form, "periodicity": "у разі змін"})
    assert added.status_code == 200
    assert "Набір № 1 додано до реєстру." in added.text
    with session_scope() as session:
        (entry,) = list_register(session, organization_id=state["org"]["id"])
        assert entry.periodicity.unscheduled
        assert [u.name for u in entry.units] == [units[0]["name"], units[1]["name"]]
        assert [(o.full_name, o.position, o.email) for o in entry.officials] == [
            ("Коваль Олена Іванівна", "начальниця відділу", "koval@example.org"),
            ("Дячук Ганна", "спеціалістка", None),
        ]
        entry_id = entry.id
    assert "Реєстр наборів даних порожній" not in client.get(f"/console/cycles/{cycle_id}").text

    edit_url = f"{url}/{entry_id}"
    edit_page = client.get(edit_url).text
    assert "Коваль Олена Іванівна – начальниця відділу, koval@example.org" in edit_page
    edited = client.post(
        edit_url,
        data={
            **form,
            "periodicity": "щокварталу",
            "officials": "Дячук Ганна – спеціалістка\nКоваль Олена Іванівна – начальниця відділу",
            "source": "local_government",
        },
    )
    assert "Набір № 1 збережено." in edited.text
    with session_scope() as session:
        (entry,) = list_register(session, organization_id=state["org"]["id"])
        assert entry.periodicity.base == BasePeriod.QUARTERLY
        assert entry.source == RegisterSource.LOCAL_GOVERNMENT
        assert [o.full_name for o in entry.officials] == ["Дячук Ганна", "Коваль Олена Іванівна"]
    page = client.get(url).text
    assert "Постанова 835 — органи місцевого самоврядування" in page
    assert 'data-confirm="Вилучити набір № 1 з реєстру?' in page

    retired = client.post(f"{edit_url}/retire", data={"csrf_token": token})
    assert "Набір № 1 вилучено з реєстру." in retired.text
    assert "вилучено 20.09.2024" in retired.text
    with session_scope() as session:
        assert list_register(session, organization_id=state["org"]["id"]) == []
    assert client.post(f"{edit_url}/retire", data={"csrf_token": token}).status_code == 422
    assert _actions(cycle_id)[-3:] == [
        "register.entry_added",
        "register.entry_updated",
        "register.entry_retired",
    ]


def test_catalogue_picks_are_added_once_and_marked(client: TestClient, clock: FixedClock) -> None:
    state, url, token = _open(client, clock)
    page = client.get(url).text
    assert "Перелік об’єктів комунальної власності" in page
    assert "Результати інформаційного аудиту" in page
    codes = ["all_holders.15", "local_government.1"]
    unit_id = str(state["org"]["units"][2]["id"])
    added = client.post(
        f"{url}/catalogue", data={"csrf_token": token, "codes": codes, "unit_ids": unit_id}
    )
    assert "Додано наборів із переліку Постанови 835: 2." in added.text
    assert 'value="all_holders.15" checked disabled' in added.text
    entries = _entries()
    assert [(e.name, e.source, e.catalogue_code) for e in entries] == [
        ("Результати інформаційного аудиту", RegisterSource.ALL_HOLDERS, "all_holders.15"),
        ("Перелік об’єктів комунальної власності", RegisterSource.LOCAL_GOVERNMENT, codes[1]),
    ]
    assert entries[0].period_base == BasePeriod.ANNUAL
    again = client.post(
        f"{url}/catalogue", data={"csrf_token": token, "codes": codes, "unit_ids": unit_id}
    )
    assert again.status_code == 422
    assert "Позначені набори вже є в реєстрі." in again.text
    assert len(_entries()) == 2
    assert _actions(state["cycle_id"]).count("register.catalogue_added") == 1


def test_import_is_all_or_nothing_and_export_reimports(
    client: TestClient, clock: FixedClock
) -> None:
    state, url, token = _open(client, clock)
    header = ["№ з/п", "Найменування набору даних", "Структурний підрозділ", "Періодичність"]
    unit = state["org"]["units"][0]["name"]
    good = ["1", "Розклад прийому громадян", unit, "в міру оновлення"]
    bad = ["2", "Набір", unit, "коли заманеться"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, good, bad])
    refused = client.post(
        f"{url}/import",
        data={"csrf_token": token},
        files={"file": ("register.csv", buffer.getvalue().encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert "Рядок 2: Невідома періодичність: «коли заманеться»." in refused.text
    assert 'id="import-error"' in refused.text
    assert _entries() == []  # nothing half-imported

    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, good])
    imported = client.post(
        f"{url}/import",
        data={"csrf_token": token},
        files={"file": ("register.csv", buffer.getvalue().encode(), "text/csv")},
    )
    assert "Імпортовано записів реєстру: 1." in imported.text
    assert "register.imported" in _actions(state["cycle_id"])
    picked = {"csrf_token": token, "codes": ["all_holders.2"], "unit_ids": "x"}
    assert "Оберіть хоча б один підрозділ" in client.post(f"{url}/catalogue", data=picked).text
    client.post(
        f"{url}/catalogue", data={**picked, "unit_ids": str(state["org"]["units"][1]["id"])}
    )

    exported = client.get(f"/api/organizations/{state['org']['id']}/register/export?format=xlsx")
    assert exported.status_code == 200
    replaced = client.post(
        f"{url}/import",
        data={"csrf_token": token, "replace": "yes"},
        files={"file": ("register.xlsx", exported.content, "application/octet-stream")},
    )
    assert "Імпортовано записів реєстру: 2." in replaced.text
    # Re-imported without its catalogue code, the dataset is still known by its name.
    assert 'value="all_holders.2" checked disabled' in replaced.text
    assert [(e.name, e.source) for e in _entries()] == [
        ("Розклад прийому громадян", RegisterSource.LOCAL),
        ("Організаційна структура розпорядника інформації", RegisterSource.ALL_HOLDERS),
    ]


def test_staff_proposals_are_accepted_or_rejected_once(
    client: TestClient, clock: FixedClock
) -> None:
    state, url, token = _open(client, clock)
    body = questionnaire(systems=0, items=0)
    body["items"] = [
        {"name": "Графік вивезення відходів", "is_dataset_candidate": True},
        {"name": "Перелік укриттів", "is_dataset_candidate": True},
        {"name": "Внутрішнє листування"},
    ]
    clock.set(at("2024-09-24", 11))
    link = state["cycle"]["links"][1]
    response = client.post(f"/api/questionnaire/{token_of(link['url'])}", json=body)
    assert response.status_code in (200, 201), response.text
    console_login(client, state["org"]["coordinator_email"])  # the first session has expired
    token = csrf_of(client.get(url).text)
    coordinator = login(client, state["org"]["coordinator_email"])

    page = client.get(url).text
    assert "Графік вивезення відходів" in page
    assert "Перелік укриттів" in page
    assert "Внутрішнє листування" not in page
    proposals = client.get(
        f"/api/cycles/{state['cycle_id']}/register/proposals", headers=coordinator
    ).json()
    first, second = (p["item_id"] for p in proposals)

    refused = client.post(
        f"{url}/proposals/{first}",
        data={"csrf_token": token, "decision": "accept", "periodicity": "інколи"},
    )
    assert refused.status_code == 422
    assert f'id="proposal-{first}-error"' in refused.text
    accepted = client.post(
        f"{url}/proposals/{first}",
        data={"csrf_token": token, "decision": "accept", "periodicity": "щотижня"},
    )
    assert "Пропозицію прийнято: набір № 1 у реєстрі." in accepted.text
    rejected = client.post(
        f"{url}/proposals/{second}", data={"csrf_token": token, "decision": "reject"}
    )
    assert "Пропозицію відхилено." in rejected.text
    assert "Пропозиції підрозділів" not in rejected.text  # nothing left to propose

    (entry,) = _entries()
    assert (entry.name, entry.period_base) == ("Графік вивезення відходів", BasePeriod.WEEKLY)
    with session_scope() as session:
        decisions = {
            d.information_item_id: (d.decision.value, d.register_entry_id)
            for d in session.scalars(select(RegisterProposal))
        }
    assert decisions == {first: ("accepted", entry.id), second: ("rejected", None)}
    again = client.post(
        f"{url}/proposals/{second}", data={"csrf_token": token, "decision": "reject"}
    )
    assert again.status_code == 404
    assert _actions(state["cycle_id"])[-2:] == [
        "register.proposal_accepted",
        "register.proposal_rejected",
    ]


def test_json_api_keeps_the_register_through_the_same_services(
    client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    base = f"/api/cycles/{state['cycle_id']}/register"
    coordinator, mayor = state["org"]["coordinator"], state["org"]["mayor"]
    unit_id = state["org"]["units"][0]["id"]
    entry = {
        "name": "Дані про паркування",
        "periodicity": "щопівроку",
        "unit_ids": [unit_id],
        "officials": [{"full_name": "Коваль Олена", "position": "начальниця"}],
    }
    assert client.post(f"{base}/entries", headers=mayor, json=entry).status_code == 403
    bad = client.post(f"{base}/entries", headers=coordinator, json={**entry, "periodicity": "x"})
    assert bad.status_code == 422
    created = client.post(f"{base}/entries", headers=coordinator, json=entry)
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    updated = client.put(
        f"{base}/entries/{entry_id}",
        headers=coordinator,
        json={**entry, "periodicity": "у разі змін", "source": "local_government"},
    )
    assert updated.json()["periodicity"] == "позапланово"
    catalogue = client.get(f"{base}/catalogue", headers=coordinator).json()
    assert len(catalogue) > 60
    assert not any(d["present"] for d in catalogue)
    picked = client.post(
        f"{base}/catalogue",
        headers=coordinator,
        json={"codes": ["all_holders.6"], "unit_ids": [unit_id]},
    )
    assert picked.status_code == 201
    assert [
        d["code"]
        for d in client.get(f"{base}/catalogue", headers=coordinator).json()
        if d["present"]
    ] == ["all_holders.6"]
    retired = client.post(f"{base}/entries/{entry_id}/retire", headers=coordinator)
    assert retired.json()["retired_at"] is not None
    listed = client.get(base, headers=coordinator).json()
    assert [e["name"] for e in listed] == [
        "Реєстр наборів даних, що перебувають у володінні розпорядника інформації"
    ]
    everything = client.get(base, params={"include_retired": "true"}, headers=coordinator).json()
    assert len(everything) == 2
    other = second_organization(client)
    assert client.get(base, headers=other).status_code == 404
    assert client.post(f"{base}/entries/{entry_id}/retire", headers=other).status_code == 404
