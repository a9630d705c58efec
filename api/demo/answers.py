"""The demo's answers: the staff questionnaires and the residents' survey responses that
reproduce seed 000's figures."""

from typing import Any

SYSTEMS_PER_QUESTIONNAIRE = 5


def questionnaires_for(seed: dict[str, Any], unit: str) -> list[dict[str, Any]]:
    """The questionnaires a unit's staff submit: the systems the seed's remote audit records for
    that unit (none for a unit that did not answer) and the items it holds."""
    named = seed["remote_audit"]["records"].get(unit, [])
    if not named:
        return []
    systems = [
        {
            "name": s["name"],
            "url": s.get("url"),
            "basis": s.get("basis") or "",
            "description": s.get("description") or "",
            "owner_type": s.get("owner_type"),
            "holds_personal_data": bool(s.get("holds_personal_data")),
        }
        for name in named
        for s in seed["services"]
        if s["name"] == name
    ]
    items = [
        {"name": i["name"], "description": i.get("description") or ""}
        for i in seed["information_items"]
        if unit in i["units"]
    ]
    if not systems and not items:
        return []
    chunks = [
        systems[i : i + SYSTEMS_PER_QUESTIONNAIRE]
        for i in range(0, max(len(systems), 1), SYSTEMS_PER_QUESTIONNAIRE)
    ]
    return [{"systems": chunk, "items": items if n == 0 else []} for n, chunk in enumerate(chunks)]


def survey_answers(
    seed_questions: list[dict[str, Any]], questions: list[dict[str, Any]], participants: int
) -> list[list[dict[str, Any]]]:
    """Per respondent, answers that reproduce the seed's counts per option."""
    answers: list[list[dict[str, Any]]] = [[] for _ in range(participants)]
    for seed_q, question in zip(seed_questions, questions, strict=True):
        answered = seed_q.get("answered", 0)
        if question["kind"] == "text":
            for respondent, text in enumerate(seed_q.get("texts", [])[:answered]):
                answers[respondent].append({"question_id": question["id"], "text": text})
            continue
        chosen: list[list[int]] = [[] for _ in range(answered)]
        offset = 0
        for option, count in zip(question["options"], seed_q.get("counts", []), strict=False):
            for k in range(count):
                chosen[(offset + k) % answered].append(option["id"])
            offset += count
        for respondent, option_ids in enumerate(chosen):
            if option_ids:
                answers[respondent].append(
                    {"question_id": question["id"], "option_ids": sorted(set(option_ids))}
                )
    return answers
