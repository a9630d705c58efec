"""Who does something: the audit trail's subject, taken by every service that records an event."""

from dataclasses import dataclass

from models.account import Account


@dataclass(frozen=True)
class Actor:
    """A person (an account) or the system (the flows), as the audit trail records them."""

    label: str
    account_id: int | None = None

    @classmethod
    def of(cls, account: Account) -> "Actor":
        """The actor of a logged-in account."""
        return cls(label=f"account:{account.id}", account_id=account.id)


SYSTEM_LABEL = "system"
SYSTEM = Actor(label=SYSTEM_LABEL)
# The first organization of an installation is created before anyone can log in.
BOOTSTRAP = Actor(label="bootstrap")
# The command line, run by whoever administers the installation.
CLI = Actor(label="cli")
