"""What the residents' survey JSON API and its HTML page share: the anonymity notice, the
client's IP hash and the per-IP-hash rate limit."""

from datetime import timedelta
from typing import Any

from fastapi import Request

from models.services.surveys.submission import salted_hash
from models.settings import Settings

NOTICE = (
    "Опитування анонімне: ми не збираємо імен і не зберігаємо IP-адрес у відкритому вигляді. "
    "Відповіді використовуються лише для інформаційного аудиту та публікуються узагальнено."
)


def client_ip_hash(request: Request, settings: Settings) -> str | None:
    """The salted hash of the client's IP (the IP itself is never stored)."""
    client_ip = request.client.host if request.client else ""
    return salted_hash(settings.secret_key, "ip", client_ip) if client_ip else None


def rate_limit_of(settings: Settings) -> dict[str, Any]:
    """The configured per-IP-hash rate limit, as start_submission takes it."""
    return {
        "rate_limit": settings.survey_rate_limit,
        "rate_window": timedelta(minutes=settings.survey_rate_window_minutes),
    }
