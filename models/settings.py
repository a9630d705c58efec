"""Settings read from the environment (prefix INFOAUDIT_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"
MIN_SECRET_KEY = 32


class Settings(BaseSettings):
    """Installation settings; every field can be set as INFOAUDIT_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="INFOAUDIT_", extra="ignore")

    environment: str = "development"
    data_dir: Path = Path("data")
    database_url: str = "sqlite:///infoaudit.db"
    secret_key: str = DEVELOPMENT_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Kyiv"
    # The pages' language: a catalogue under api/locale/ (an unknown one falls back to "uk").
    language: str = "uk"
    sqlite_busy_timeout_ms: int = 15000
    # As many pooled connections as the web server's worker threads (40): a smaller pool makes
    # busy requests open and close overflow connections (on SQLite each runs its PRAGMAs
    # again), which costs more than the query.
    database_pool_size: int = 40
    session_hours: int = 8
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "infoaudit@localhost"
    # Days before the remote-audit due date when units without a questionnaire are reminded.
    reminder_days: list[int] = [3, 1]
    advance_interval_seconds: int = 300
    # A running portal job's claim lasts this long, renewed every third of it: a killed run's
    # request is taken up again by the sweep once its claim lapses.
    portal_job_lease_seconds: int = 60
    # RFC 3161 time-stamping authority for PAdES signatures of the report (none: no timestamp).
    tsa_url: str | None = None
    # Responses one IP hash may send to a survey per window (0: no limit). Generous: a school or
    # a library answers from one address.
    survey_rate_limit: int = 200
    survey_rate_window_minutes: int = 60
    # Report rendering: worker processes (0: min(2, CPUs)) and each one's address-space cap.
    render_workers: int = 0
    render_memory_mb: int = 1400
    # A tagged (accessible) PDF: laid out as one document in one worker; off, in parallel parts
    # (report_templates/tagged.py says why the parts cannot keep the structure tree).
    render_tagged: bool = True
    # The council's house style for the report (README, "House style"): "serif" or "sans",
    # the body size in points (10–14), margins "top right bottom left" in mm, a logo file.
    report_font: str = "serif"
    report_font_size_pt: float = 12.0
    report_margins_mm: str = "20 10 20 30"
    report_logo: Path | None = None
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated addresses;
    # empty: none, the connecting address is the client's).
    trusted_proxies: str = ""
    # The portal hosts the server may call (models/portal/hosts.py): `host` (HTTPS, port 443)
    # or `host:port`, comma-separated. Each organization's API key is its own, set in the
    # console; there is no installation-wide key.
    portal_hosts: str = "data.gov.ua"

    @field_validator("render_workers", "render_memory_mb", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object, info: ValidationInfo) -> object:
        # An empty variable (INFOAUDIT_RENDER_WORKERS=) means the default, not an error.
        if value == "":
            return cls.model_fields[info.field_name or ""].default
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        # An empty key (INFOAUDIT_SECRET_KEY= in an env file) signs links anyone can forge,
        # in development too.
        if not self.secret_key.strip():
            raise ValueError(
                "INFOAUDIT_SECRET_KEY порожній: задайте ключ один раз (python3 -c 'import "
                "secrets; print(secrets.token_urlsafe(48))') і більше не змінюйте його."
            )
        # A leaked default key would let anyone forge unit links and sessions.
        if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                "INFOAUDIT_SECRET_KEY має бути задано поза середовищем розробки "
                "(INFOAUDIT_ENVIRONMENT=development)."
            )
        # A short key can be guessed, and every unit link and session is derived from it.
        if self.environment != "development" and len(self.secret_key.strip()) < MIN_SECRET_KEY:
            raise ValueError(
                f"INFOAUDIT_SECRET_KEY закороткий: потрібно щонайменше {MIN_SECRET_KEY} символи "
                "(створіть його один раз: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')."
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache)."""
    return Settings()
