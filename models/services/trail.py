"""The audit trail in plain Ukrainian: each event kind becomes a sentence naming who did what.

People's gender is unknown, so a person's line is "Олена Петренко (координатор робочої групи)"
with an impersonal verb ("затверджено версію 2 звіту"); the system's is "Система" with the same.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.account import ROLE_LABELS, Account, Role
from models.action_plan import ITEM_STATUS_LABELS, ItemStatus
from models.cycle import STAGE_LABELS, StageKind
from models.event import AuditEvent
from models.organization import Unit
from models.report import (
    RECOMMENDATION_STATUS_LABELS,
    SECTION_LABELS,
    SIGNATURE_CHECK_LABELS,
    RecommendationStatus,
    SectionKey,
    SignatureCheck,
)

Details = Mapping[str, Any]


@dataclass(frozen=True)
class Names:
    """Who the events mention: accounts and units by id."""

    accounts: Mapping[int, Account]
    units: Mapping[int, str]

    def account(self, value: object) -> str:
        account = self.accounts.get(value) if isinstance(value, int) else None
        if account is None:
            return "обліковий запис (видалено)"
        return account.full_name or account.email

    def unit(self, value: object) -> str:
        return f"«{self.units[value]}»" if isinstance(value, int) and value in self.units else ""


Phrase = Callable[[Details, Names], str]


def _stage(d: Details) -> str:
    kind = str(d.get("stage", ""))
    label = STAGE_LABELS[StageKind(kind)] if kind in StageKind.__members__.values() else kind
    return f"«{label}»"


def _reason(d: Details) -> str:
    return f"; причина: {d['reason']}" if d.get("reason") else ""


def _day(value: object) -> str:
    try:
        return f"{date.fromisoformat(str(value)):%d.%m.%Y}"
    except ValueError:
        return str(value)


def _label(labels: Mapping[Any, str], enum_cls: Any, value: object) -> str:
    try:
        return labels[enum_cls(value)]
    except (ValueError, KeyError):
        return str(value)


def _register(what: str, d: Details) -> str:
    number = f" № {d['номер']}" if d.get("номер") else ""
    return f"{what}{number} «{d.get('набір', '')}»"


def _launched(d: Details, _n: Names) -> str:
    text = f"розпочато інформаційний аудит {d.get('year', '')} року"
    if d.get("order"):
        text += f" за розпорядженням №{d['order']}"
    text += f"; підрозділів: {d.get('units', 0)}"
    return text + (" (історичний цикл: внесено після проведення)" if d.get("historical") else "")


def _signed(d: Details, _n: Names) -> str:
    how = "у PDF (PAdES)" if d.get("kind") == "pades" else "окремим файлом підпису (.p7s)"
    check = _label(SIGNATURE_CHECK_LABELS, SignatureCheck, d.get("verification"))
    return f"накладено КЕП на версію {d.get('version')} звіту {how}; {check}"


def _questionnaire(verb: str) -> Phrase:
    def phrase(d: Details, _n: Names) -> str:
        return f"{verb} (систем: {d.get('systems', 0)}, записів: {d.get('items', 0)})"

    return phrase


SENTENCES: dict[str, Phrase] = {
    "organization.created": lambda d, n: "створено організацію",
    "account.created": lambda d, n: (
        f"створено обліковий запис «{n.account(d.get('account_id'))}» "
        f"({_label(ROLE_LABELS, Role, d.get('role'))})"
    ),
    "account.updated": lambda d, n: (
        f"змінено обліковий запис «{n.account(d.get('account_id'))}» "
        f"({_label(ROLE_LABELS, Role, d.get('role'))})"
    ),
    "account.deactivated": lambda d, n: (
        f"вимкнено обліковий запис «{n.account(d.get('account_id'))}»: вхід заборонено, "
        "сеанси завершено"
    ),
    "account.reactivated": lambda d, n: (
        f"знову увімкнено обліковий запис «{n.account(d.get('account_id'))}»"
    ),
    "account.password_reset": lambda d, n: (
        f"встановлено новий пароль для «{n.account(d.get('account_id'))}»"
        + (" (згенеровано системою)" if d.get("generated") else "")
    ),
    "unit.updated": lambda d, n: f"змінено дані підрозділу «{d.get('name', '')}»",
    "unit.deactivated": lambda d, n: (
        f"вимкнено підрозділ «{d.get('name', '')}»: у нових циклах він не отримає анкети"
    ),
    "unit.reactivated": lambda d, n: f"знову увімкнено підрозділ «{d.get('name', '')}»",
    "unit.link_replaced": lambda d, n: (
        f"замінено секретне посилання підрозділу «{d.get('name', '')}»: старе більше не діє"
    ),
    "units.imported": lambda d, n: (
        f"завантажено підрозділи з таблиці: додано {d.get('added', 0)}"
        # earlier imports kept good rows and counted the refused ones; now a table is whole
        + (f", не додано рядків {d['refused']}" if d.get("refused") else "")
    ),
    "cycle.launched": _launched,
    "cycle.completed": lambda d, n: "завершено цикл аудиту: усі етапи пройдено",
    "stage.planned": lambda d, n: f"етап {_stage(d)} знову заплановано",
    "stage.open": lambda d, n: f"відкрито етап {_stage(d)}",
    "stage.closed": lambda d, n: f"завершено етап {_stage(d)}",
    "stage.skipped": lambda d, n: f"вирішено не проводити етап {_stage(d)}{_reason(d)}",
    "stage.opened_early": lambda d, n: f"етап {_stage(d)} розпочато достроково{_reason(d)}",
    "stage.closed_early": lambda d, n: f"етап {_stage(d)} завершено достроково{_reason(d)}",
    "stage.extended": lambda d, n: (
        f"продовжено етап {_stage(d)}: замість {_day(d.get('from'))} — до {_day(d.get('to'))}"
        + _reason(d)
    ),
    "interview.proposed": lambda d, n: (
        f"запропоновано інтерв’ю з підрозділом {n.unit(d.get('unit'))}".rstrip()
    ),
    "interviews.schedule_approved": lambda d, n: (
        f"затверджено графік інтерв’ю (інтерв’ю: {len(d.get('interviews') or [])})"
    ),
    "interview.recorded": lambda d, n: "записано результати інтерв’ю",
    "links.sent": lambda d, n: (
        f"поставлено в чергу листи підрозділам із посиланнями на анкету: {d.get('messages', 0)}"
    ),
    "questionnaire.draft_saved": _questionnaire("збережено чернетку анкети"),
    "questionnaire.submitted": _questionnaire("подано анкету"),
    "questionnaire.updated": _questionnaire("оновлено подану анкету"),
    "consolidation.merged": lambda d, n: "об’єднано записи анкет у зведеному переліку",
    "consolidation.split": lambda d, n: "відокремлено запис анкети у зведеному переліку",
    "consolidation.undone": lambda d, n: "скасовано рішення щодо зведеного переліку",
    "portal.snapshot": lambda d, n: (
        f"зібрано відомості з порталу відкритих даних: наборів {d.get('datasets', 0)}"
    ),
    "portal.snapshot_requested": lambda d, n: "подано запит на знімок порталу відкритих даних",
    "portal.source_set": lambda d, n: (
        f"вказано портал відкритих даних {d.get('portal_url')}, організація "
        f"{d.get('portal_organization')}"
        + {"set": "; збережено новий ключ API", "removed": "; ключ API видалено"}.get(
            str(d.get("token") or ""), ""
        )
    ),
    "unit.portal_organizations": lambda d, n: (
        f"для підрозділу {n.unit(d.get('unit'))} вказано організації на порталі: "
        + (", ".join(d.get("portal_organizations") or []) or "жодної")
    ),
    "portal.match_confirmed": lambda d, n: (
        f"підтверджено відповідність набору № {d.get('number')} набору на порталі"
        + (" (усі показані пропозиції)" if d.get("bulk") else "")
    ),
    "portal.match_rejected": lambda d, n: (
        f"відхилено запропоновану відповідність набору № {d.get('number')}"
        + (" (усі показані пропозиції)" if d.get("bulk") else "")
    ),
    "portal.match_removed": lambda d, n: (
        f"скасовано відповідність набору № {d.get('number')} набору на порталі"
    ),
    "portal.match_set": lambda d, n: (
        f"вручну вказано набір на порталі для набору № {d.get('number')}"
    ),
    "portal.publish_requested": lambda d, n: "подано запит на оприлюднення пакета на порталі",
    "portal.publish_started": lambda d, n: "розпочато оприлюднення пакета на порталі",
    "portal.publish_done": lambda d, n: "оприлюднено пакет відкритих даних на порталі",
    "portal.publish_failed": lambda d, n: (
        f"оприлюднення на порталі не вдалося: {d.get('error') or 'причину не вказано'}"
    ),
    "portal.monitoring_requested": lambda d, n: "подано запит на картку щоквартального моніторингу",
    "portal.monitoring_started": lambda d, n: "розпочато складання картки моніторингу",
    "portal.monitoring_done": lambda d, n: "складено картку щоквартального моніторингу",
    "portal.monitoring_failed": lambda d, n: (
        f"картку моніторингу не складено: {d.get('error') or 'причину не вказано'}"
    ),
    "questionnaire.late_accepted": lambda d, n: (
        f"прийнято анкету підрозділу «{d.get('unit', '')}» із запізненням "
        f"(зараховано чернеток: {d.get('drafts_counted', 0)})" + _reason(d)
    ),
    "interview.updated": lambda d, n: (
        "змінено заплановане інтерв’ю"
        + ("; його треба затвердити знову" if d.get("approval_reset") else "")
    ),
    "interview.removed": lambda d, n: (
        f"вилучено заплановане інтерв’ю з підрозділом {n.unit(d.get('unit'))}".rstrip()
    ),
    "stage.reopened": lambda d, n: (
        f"знову відкрито етап {_stage(d)} до {_day(d.get('to'))}" + _reason(d)
    ),
    "register.entry_added": lambda d, n: _register("додано до реєстру набір", d),
    "register.entry_updated": lambda d, n: _register("змінено в реєстрі набір", d),
    "register.entry_retired": lambda d, n: _register("вилучено з реєстру набір", d),
    "register.catalogue_added": lambda d, n: (
        f"додано до реєстру набори з переліку Постанови № 835: {d.get('кількість', 0)}"
    ),
    "register.imported": lambda d, n: (
        f"завантажено реєстр із файлу: наборів {d.get('додано', 0)}"
        + ("; попередній реєстр замінено" if d.get("замінено") == "так" else "")
    ),
    "register.proposal_accepted": lambda d, n: _register(
        "прийнято пропозицію підрозділу й додано до реєстру набір", d
    ),
    "register.proposal_rejected": lambda d, n: (
        f"відхилено пропозицію підрозділу оприлюднити «{d.get('набір', '')}»"
    ),
    "survey.questions_replaced": lambda d, n: (
        f"змінено питання опитування мешканців (питань: {d.get('questions', 0)})"
    ),
    "survey.text_hidden": lambda d, n: "приховано текст відповіді мешканця",
    "survey.text_shown": lambda d, n: "знову показано текст відповіді мешканця",
    "survey.invitations_issued": lambda d, n: (
        f"видано запрошення до опитування: {d.get('count', 0)}"
    ),
    "survey.totals_entered": lambda d, n: (
        ("змінено" if d.get("changed") else "внесено")
        + " підсумки опитування мешканців, проведеного поза системою (учасників: "
        f"{d.get('participants', 0)}, пропозицій: {d.get('proposals', 0)})"
    ),
    "report.render_requested": lambda d, n: "замовлено нову версію звіту",
    "report.rendered": lambda d, n: (
        f"сформовано версію {d.get('version')} звіту ({int(d.get('size', 0)) // 1024} КБ)"
    ),
    "report.render_failed": lambda d, n: (
        f"не вдалося сформувати версію {d.get('version')} звіту: {d.get('error', '')}"
    ),
    "report.approved": lambda d, n: f"затверджено версію {d.get('version')} звіту",
    "report.signed": _signed,
    "report.section_edited": lambda d, n: (
        f"змінено розділ звіту «{_label(SECTION_LABELS, SectionKey, d.get('section'))}»"
    ),
    "report.recommendation_added": lambda d, n: "додано рекомендацію до звіту",
    "report.recommendation_decided": lambda d, n: (
        "ухвалено рішення щодо рекомендації: "
        + _label(RECOMMENDATION_STATUS_LABELS, RecommendationStatus, d.get("status"))
    ),
    "action_plan.created": lambda d, n: (
        f"складено план дій з рекомендацій версії {d.get('version')} звіту "
        f"(завдань: {d.get('items', 0)})"
    ),
    "action_plan.item_updated": lambda d, n: (
        f"змінено завдання {d.get('item')} плану дій"
        + (f"; новий строк — {_day(d.get('due_on'))}" if d.get("moved") else "")
    ),
    "action_plan.item_added": lambda d, n: (
        f"додано завдання {d.get('item')} до плану дій (не з рекомендацій звіту), "
        f"строк — {_day(d.get('due_on'))}"
    ),
    "action_plan.item_removed": lambda d, n: (
        f"вилучено завдання {d.get('item')} з плану дій: «{d.get('task', '')}»; "
        "наступні завдання перенумеровано"
    ),
    "action_plan.note_added": lambda d, n: (
        f"додано нотатку до завдання {d.get('item')} плану дій станом на {_day(d.get('on'))}: "
        + _label(ITEM_STATUS_LABELS, ItemStatus, d.get("status"))
    ),
    "report.figures_date_set": lambda d, n: (
        f"встановлено дату, станом на яку звіт наводить показники: {_day(d.get('as_of'))}"
    ),
}
GENERIC = "виконано дію, для якої ще немає опису"


@dataclass(frozen=True)
class TrailLine:
    """One line of the trail as people read it."""

    at: datetime
    who: str
    what: str

    @property
    def sentence(self) -> str:
        return f"{self.who} — {self.what}."


def _who(event: AuditEvent, names: Names) -> str:
    label = event.actor
    account_id = event.actor_account_id
    if account_id is not None and account_id in names.accounts:
        account = names.accounts[account_id]
        role = ROLE_LABELS.get(account.role, "")
        return f"{account.full_name or account.email} ({role})"
    if label.startswith("account:"):
        return "Обліковий запис (видалено)"
    if label.startswith("unit:"):
        unit = names.unit(_int(label.removeprefix("unit:")))
        return f"Підрозділ {unit} (за посиланням на анкету)" if unit else "Підрозділ"
    return {
        "system": "Система",
        "cli": "Адміністратор (командний рядок)",
        "bootstrap": "Початкове налаштування",
        "resident": "Мешканець",
    }.get(label, "Система")


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _names(session: Session, events: list[AuditEvent]) -> Names:
    account_ids = {e.actor_account_id for e in events if e.actor_account_id is not None}
    account_ids |= {
        e.details["account_id"] for e in events if isinstance(e.details.get("account_id"), int)
    }
    unit_ids = {_int(e.actor.removeprefix("unit:")) for e in events if e.actor.startswith("unit:")}
    unit_ids |= {e.details.get("unit") for e in events if isinstance(e.details.get("unit"), int)}
    accounts = {
        a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))
    }
    rows = session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids - {None})))
    units = {unit_id: name for unit_id, name in rows.tuples()}
    return Names(accounts=accounts, units=units)


def describe_events(session: Session, events: list[AuditEvent]) -> list[TrailLine]:
    """The events as lines of plain Ukrainian, in the order given."""
    names = _names(session, events)
    lines = []
    for event in events:
        phrase = SENTENCES.get(event.action)
        try:
            what = phrase(event.details or {}, names) if phrase else GENERIC
        except (TypeError, ValueError):  # details of an older shape: still say something
            what = GENERIC
        lines.append(TrailLine(at=event.at, who=_who(event, names), what=what))
    return lines
