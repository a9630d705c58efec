"""Logins of the working group and the mayor's office."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, utcnow
from models.organization import Organization, enum_column


class Role(enum.StrEnum):
    """What an account may do."""

    ADMIN = "admin"  # the installation's administrator: creates organizations
    COORDINATOR = "coordinator"  # the working group's coordinator: everything in the organization
    WORKING_GROUP = "working_group"  # a working-group member
    AUDITOR = "auditor"
    MAYOR_OFFICE = "mayor_office"  # read and download only


WORKING_GROUP_ROLES = frozenset({Role.COORDINATOR, Role.WORKING_GROUP, Role.AUDITOR})
EDITOR_ROLES = frozenset({Role.COORDINATOR, Role.WORKING_GROUP})  # write the survey, the report
READ_ROLES = WORKING_GROUP_ROLES | {Role.MAYOR_OFFICE}
ROLE_LABELS = {
    Role.ADMIN: "адміністратор встановлення",
    Role.COORDINATOR: "координатор робочої групи",
    Role.WORKING_GROUP: "член робочої групи",
    Role.AUDITOR: "інформаційний аудитор",
    Role.MAYOR_OFFICE: "апарат міського голови",
}


class Account(Timestamped, Base):
    """A person who logs in with e-mail and password (stored as an argon2 hash only)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Failed logins are counted per account at an address and per address: models/throttle.py.

    organization: Mapped[Organization | None] = relationship(lazy="raise")


class AccountSession(Base):
    """A login session; only the token's hash is stored."""

    __tablename__ = "account_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    account: Mapped[Account] = relationship(lazy="raise")
