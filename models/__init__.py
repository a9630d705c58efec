"""Settings, database access, the domain model and its services.

Importing this package registers every table on `Base.metadata` (Alembic reads it).
"""

from models import (  # noqa: F401  (imported for their tables)
    account,
    cycle,
    event,
    interview,
    organization,
    outbox,
    publication,
    questionnaire,
    register,
    report,
    survey,
)
from models.base import Base

__all__ = ["Base"]
