"""Settings, database access, the domain model and its services.

Importing this package registers every table on `Base.metadata` (Alembic reads it).
"""

from models import (  # noqa: F401  (imported for their tables)
    account,
    action_plan,
    cycle,
    event,
    interview,
    organization,
    outbox,
    portal_job,
    publication,
    questionnaire,
    register,
    report,
    survey,
    throttle,
)
from models.base import Base
from models.kep import store as _kep_store  # noqa: F401  (the trusted list's table)

__all__ = ["Base"]
