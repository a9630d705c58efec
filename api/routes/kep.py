"""The installation's trusted list of qualified providers' certificates (CACertificates.p7b),
against which КЕП signatures (.p7s) are checked: the administrator uploads it; anyone logged in
sees which list is in force."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from api.deps import DB, CurrentActor, Now, require_roles
from models.account import READ_ROLES, Account, Role
from models.errors import Invalid, NotFound
from models.kep.chain import MAX_TRUST_LIST_BYTES
from models.kep.node import node_problem
from models.kep.store import KepTrustList, current_trust_list, store_trust_list

router = APIRouter(prefix="/api/kep", tags=["КЕП"])
Admin = Annotated[Account, require_roles(Role.ADMIN)]
Anyone = Annotated[Account, require_roles(Role.ADMIN, *READ_ROLES)]


class TrustListRead(BaseModel):
    """The list in force and whether DSTU 4145 can be checked on this server."""

    uploaded_at: datetime
    uploaded_by: str
    filename: str
    sha256: str
    certificates: int
    dstu_available: bool
    dstu_problem: str | None


def _read(row: KepTrustList) -> TrustListRead:
    problem = node_problem()
    return TrustListRead(
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
        filename=row.filename,
        sha256=row.sha256,
        certificates=row.certificates,
        dstu_available=problem is None,
        dstu_problem=problem,
    )


@router.get("/trusted-list", response_model=TrustListRead)
def trusted_list(session: DB, account: Anyone) -> TrustListRead:
    """The trusted list in force (404 when none was uploaded)."""
    row = current_trust_list(session)
    if row is None:
        raise NotFound(
            "Довірений список надавачів ще не завантажено: ланцюжки сертифікатів КЕП не "
            "перевіряються."
        )
    return _read(row)


@router.post("/trusted-list", response_model=TrustListRead, status_code=201)
def upload_trusted_list(
    session: DB,
    now: Now,
    _account: Admin,
    actor: CurrentActor,
    trusted: Annotated[
        UploadFile, File(description="CACertificates.p7b від центрального засвідчувального органу")
    ],
) -> TrustListRead:
    """Upload the national list of qualified providers' certificates (administrator only)."""
    data = trusted.file.read(MAX_TRUST_LIST_BYTES + 1)
    if not data:
        raise Invalid("Файл порожній.", field="trusted")
    row = store_trust_list(
        session, data=data, filename=trusted.filename or "", now=now, actor=actor
    )
    return _read(row)
