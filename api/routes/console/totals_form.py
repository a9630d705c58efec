"""The survey totals form of a historical cycle's survey page: one field for the participants,
one per question (answered) and one per option (chosen), named as the service names its errors
(`participants`, `questions.0.answered`, `questions.0.options.1.chosen`)."""

from starlette.datastructures import FormData

from models.services.surveys.totals import (
    EnteredTotals,
    OptionCount,
    QuestionCount,
    TotalsInput,
)
from models.survey import Question


def _answered(i: int) -> str:
    return f"questions.{i}.answered"


def _chosen(i: int, j: int) -> str:
    return f"questions.{i}.options.{j}.chosen"


def stored_values(questions: list[Question], totals: EnteredTotals | None) -> dict[str, str]:
    """The form's fields as stored; before the first entry the participants are blank (to be
    entered) and the rest 0."""
    values = {"participants": str(totals.participants) if totals else ""}
    for i, question in enumerate(questions):
        values[_answered(i)] = str(totals.answered.get(question.id, 0) if totals else 0)
        for j, option in enumerate(question.options):
            values[_chosen(i, j)] = str(totals.chosen.get(option.id, 0) if totals else 0)
    return values


def posted_values(form: FormData, questions: list[Question]) -> dict[str, str]:
    """What was typed in each field (kept when the form comes back with errors)."""
    names = ["participants"]
    for i, question in enumerate(questions):
        names.append(_answered(i))
        names += [_chosen(i, j) for j in range(len(question.options))]
    return {name: value if isinstance(value := form.get(name), str) else "" for name in names}


def totals_input(questions: list[Question], values: dict[str, str]) -> TotalsInput:
    """The typed values as the service takes them (it parses and checks them)."""
    return TotalsInput(
        participants=values["participants"],
        questions=[
            QuestionCount(
                question_id=question.id,
                answered=values[_answered(i)],
                options=[
                    OptionCount(option.id, values[_chosen(i, j)])
                    for j, option in enumerate(question.options)
                ],
            )
            for i, question in enumerate(questions)
        ],
    )
