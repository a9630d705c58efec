"""E-mailing a staff member the link to continue their draft, within caps: one letter per draft,
a few per sending address and per recipient, a bounded number per unit link, so that the
questionnaire's form cannot be used to mail strangers without limit."""

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from models.services.mail import enqueue_resume_link
from models.services.throttle import Limit, blocked_until, count_hit, throttle_key

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Per draft: one letter (the outbox's dedup key resume:<draft>). Then per sending address, per
# recipient e-mail and per unit link: a unit has a handful of staff, each saves one draft.
LIMITS = {
    "resume-mail-address": Limit(hits=5, window=HOUR, block=HOUR),
    "resume-mail-recipient": Limit(hits=3, window=DAY, block=DAY),
    "resume-mail-link": Limit(hits=30, window=DAY, block=DAY),
}
MAIL_REFUSED = (
    "Лист із посиланням для продовження не надіслано: з цієї мережевої адреси, на цю пошту "
    "або для цього підрозділу вже надіслано забагато таких листів. Чернетку збережено — "
    "запишіть код продовження, він показаний на сторінці."
)


def mail_resume_link(
    session: Session,
    *,
    submission_id: int,
    audited_unit_id: int,
    email: str,
    client_address: str,
    secret_key: str,
    url: str,
    code: str,
    unit: str,
    due_on: date,
    now: datetime,
) -> str | None:
    """Record the resume-link letter; the Ukrainian refusal instead when a cap is reached
    (then nothing is mailed)."""
    values = {
        "resume-mail-address": client_address,
        "resume-mail-recipient": email.strip().lower(),
        "resume-mail-link": str(audited_unit_id),
    }
    keys = {scope: throttle_key(secret_key, scope, value) for scope, value in values.items()}
    if blocked_until(session, keys=keys.values(), now=now) is not None:
        return MAIL_REFUSED
    message = enqueue_resume_link(
        session,
        submission_id=submission_id,
        email=email,
        url=url,
        code=code,
        unit=unit,
        due_on=due_on,
        now=now,
    )
    if message is not None:  # a letter this draft already had is not counted again
        for scope, key in keys.items():
            count_hit(session, key=key, limit=LIMITS[scope], now=now)
    return None
