"""Verify a detached CAdES signature (.p7s) of a document: every signer, its certificate and
the chain to the national list of qualified providers' certificates (CACertificates.p7b).

This module orchestrates: the CMS is read leniently (``certificates``), what Python cannot
compute (GOST 34.311 hashes, DSTU 4145 signatures) is gathered into one call of
``node/verify.js`` (``node``), the chain is traced (``chain``), and every signer comes out as a
``results.Signer``. RSA and ECDSA signers are checked with ``cryptography``. Nothing here claims
more than was checked: without a trusted list the chain is "not checked", never "trusted".
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms

from models.kep.algorithms import (
    ALGORITHM_NAMES,
    DSTU4145_BE,
    GOST34311,
    PY_DIGESTS,
    UKRAINIAN,
    rsa_or_ecdsa_valid,
)
from models.kep.certificates import (
    Cert,
    certificates_of,
    name_parts,
    read_signed_data,
    short_name,
)
from models.kep.chain import ChainPlan, chain_result, plan_chain
from models.kep.node import Batch, b64
from models.kep.results import ChainStatus, KepError, KepResult, KepUnavailable, Signer

MAX_P7S_BYTES = 2_000_000
MAX_DOCUMENT_BYTES = 64_000_000
MAX_SIGNERS = 10


def _crypto_verify(cert: Cert, data: bytes, signature: bytes, digest_oid: str) -> bool:
    """An RSA (PKCS #1 v1.5) or ECDSA signature, checked with `cryptography`."""
    if digest_oid not in PY_DIGESTS:
        return False
    algorithm = PY_DIGESTS[digest_oid][1]
    key = cert.for_cryptography().public_key()
    return rsa_or_ecdsa_valid(key, signature, data, algorithm)


def _attr(signer_info: cms.SignerInfo, name: str) -> Any:
    for attr in signer_info["signed_attrs"] or []:
        if attr["type"].native == name:
            return attr["values"][0]
    return None


def _find_signer_cert(certs: Sequence[Cert], signer_info: cms.SignerInfo) -> Cert | None:
    sid = signer_info["sid"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            if (
                cert.serial == sid.chosen["serial_number"].native
                and cert.issuer == sid.chosen["issuer"]
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


@dataclass
class _Plan:
    """What one signer needs checked: its signature, its hash, its chain's links."""

    signer_info: cms.SignerInfo
    cert: Cert | None
    digest_oid: str
    signature_oid: str
    signed_at: datetime | None
    message_digest: bytes | None
    signed_bytes: bytes
    digest_index: int | None = None
    signature_index: int | None = None
    chain: ChainPlan = field(default_factory=ChainPlan)


def _at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _name(oid: str) -> str:
    return ALGORITHM_NAMES.get(oid, oid)


def _plan_signer(
    signer_info: cms.SignerInfo, certs: list[Cert], document: bytes, batch: Batch
) -> _Plan:
    cert = _find_signer_cert(certs, signer_info)
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    signature_oid = signer_info["signature_algorithm"]["algorithm"].dotted
    attrs = signer_info["signed_attrs"]
    message_digest = _attr(signer_info, "message_digest")
    signing_time = _attr(signer_info, "signing_time")
    if attrs:
        # The signature covers the attributes re-encoded as a SET (tag 0x31), not as [0].
        encoded = attrs.untag().dump()
        signed_bytes = b"\x31" + encoded[1:]
    else:
        signed_bytes = document
    plan = _Plan(
        signer_info=signer_info,
        cert=cert,
        digest_oid=digest_oid,
        signature_oid=signature_oid,
        signed_at=_at(signing_time.native) if signing_time is not None else None,
        message_digest=bytes(message_digest.native) if message_digest is not None else None,
        signed_bytes=signed_bytes,
    )
    if digest_oid == GOST34311 and attrs:
        plan.digest_index = batch.add({"op": "digest", "hash": "gost34311", "data": b64(document)})
    if cert is not None and cert.is_dstu and digest_oid == GOST34311:
        plan.signature_index = batch.add(
            {
                "op": "verify",
                "hash": "gost34311",
                "cert": b64(cert.der),
                "data": b64(signed_bytes),
                "signature": b64(bytes(signer_info["signature"].native)),
                "format": "le",
            }
        )
    return plan


def _signature_result(plan: _Plan, document: bytes, batch: Batch) -> tuple[bool | None, str]:
    cert = plan.cert
    if cert is None:
        return None, "Сертифіката підписувача у файлі підпису немає: підпис тут не перевірено."
    ukrainian = plan.digest_oid in UKRAINIAN or plan.signature_oid in UKRAINIAN or cert.is_dstu
    if ukrainian and plan.digest_oid != GOST34311:
        return None, (
            f"Геш {_name(plan.digest_oid)} тут ще не обчислюється: підпис тут не перевірено."
        )
    if ukrainian and not cert.is_dstu:
        return False, "Алгоритм підпису ДСТУ 4145 не відповідає ключу сертифіката підписувача."
    if ukrainian and cert.key_algorithm == DSTU4145_BE:
        return None, "Ключ ДСТУ 4145 в оптимальному нормальному базисі тут не підтримується."
    # The document's hash.
    if plan.message_digest is not None:
        if plan.digest_index is not None:
            answer = batch.answer(plan.digest_index)
            if not answer.get("ok"):
                return None, "Геш документа тут не обчислено: " + str(answer.get("error"))
            digest = base64.b64decode(answer["digest"])
        elif plan.digest_oid in PY_DIGESTS:
            digest = hashlib.new(PY_DIGESTS[plan.digest_oid][0], document).digest()
        else:
            return None, f"Геш {_name(plan.digest_oid)} тут не підтримується."
        if digest != plan.message_digest:
            return False, (
                "Геш документа не збігається: підписано інший файл або файл змінено після "
                "підписання."
            )
    elif plan.signer_info["signed_attrs"]:
        return False, "Підпис не містить геша документа (message-digest)."
    # The signature itself.
    if plan.signature_index is not None:
        answer = batch.answer(plan.signature_index)
        if not answer.get("ok"):
            return False, "Підпис ДСТУ 4145 не вдалося перевірити: " + str(answer.get("error"))
        if not answer.get("valid"):
            return False, "Підпис не відповідає ключу сертифіката підписувача."
        return True, ""
    signature = bytes(plan.signer_info["signature"].native)
    if _crypto_verify(cert, plan.signed_bytes, signature, plan.digest_oid):
        return True, ""
    return False, "Підпис не відповідає ключу сертифіката підписувача."


def verify_detached(
    p7s: bytes,
    document: bytes,
    *,
    trusted: Sequence[bytes] | None = None,
    allow_unchecked: bool = False,
) -> KepResult:
    """Check every signature of a detached .p7s over ``document`` (its exact bytes).

    ``trusted``: the certificates (DER) of the trusted list, None when there is none.
    Raises KepError for a file that is not a complete signature, KepUnavailable when a DSTU
    check is needed and Node.js (or its modules) is missing here, unless ``allow_unchecked``:
    then such signers are read (who, when, which algorithm) and marked not checked.
    """
    if len(p7s) > MAX_P7S_BYTES:
        raise KepError("Файл підпису завеликий.")
    if len(document) > MAX_DOCUMENT_BYTES:
        raise KepError("Документ завеликий для перевірки підпису.")
    signed = read_signed_data(p7s, what=".p7s")
    signer_infos = list(signed["signer_infos"])
    if not signer_infos:
        raise KepError("У файлі .p7s немає жодного підпису.")
    if len(signer_infos) > MAX_SIGNERS:
        raise KepError(f"У файлі .p7s понад {MAX_SIGNERS} підписів: такий файл не прийнято.")
    content = signed["encap_content_info"]["content"]
    if content is not None and content.native is not None and content.native != document:
        raise KepError("Підпис містить інший документ, ніж цей PDF звіту: прийняти його не можна.")
    certs = certificates_of(signed)
    trusted_certs = [Cert.load(der) for der in trusted] if trusted is not None else []
    trusted_set = {c.der for c in trusted_certs} if trusted is not None else None
    pool = trusted_certs + certs
    batch = Batch()
    plans = [_plan_signer(info, certs, document, batch) for info in signer_infos]
    for plan in plans:
        plan.chain = plan_chain(plan.cert, pool, trusted_set, batch)
    unavailable = ""
    try:
        batch.run()
    except KepUnavailable as exc:
        if not allow_unchecked:
            raise
        unavailable = exc.message
    signers = []
    for plan in plans:
        needs_node = plan.signature_index is not None or plan.digest_index is not None
        if unavailable and needs_node:
            valid, problem = None, unavailable
        else:
            valid, problem = _signature_result(plan, document, batch)
        if unavailable and any(index is not None for _, _, index in plan.chain.links):
            chain, chain_note = ChainStatus.NOT_CHECKED, unavailable
        else:
            chain, chain_note = chain_result(plan.chain, plan.cert, plan.signed_at, batch)
        parts = (
            name_parts(plan.cert)
            if plan.cert
            else {"name": "", "position": "", "organization": "", "rnokpp": "", "edrpou": ""}
        )
        signers.append(
            Signer(
                **parts,
                signed_at=plan.signed_at,
                hash_algorithm=_name(plan.digest_oid),
                signature_algorithm=_name(plan.signature_oid),
                valid=valid,
                chain=chain,
                chain_note=chain_note,
                problem=problem,
                certificate=plan.cert.describe() if plan.cert else "сертифікат не вкладено",
                issuer=short_name(plan.cert.issuer) if plan.cert else "",
                serial=f"{plan.cert.serial:X}" if plan.cert else "",
            )
        )
    return KepResult(signers=tuple(signers), trusted_list=trusted is not None, tool=batch.tool)


def is_ukrainian(p7s: bytes) -> bool:
    """Whether a .p7s uses a Ukrainian national algorithm (for a signer or a certificate)."""
    try:
        signed = read_signed_data(p7s[: MAX_P7S_BYTES + 1], what=".p7s")
    except KepError:
        # Unreadable to the lenient reader: it may still be a DSTU file (the check refuses it
        # with a clear message), and the other path refuses it too.
        return b"\x06\x0b\x2a\x86\x24\x02\x01\x01\x01\x01" in p7s
    for signer in signed["signer_infos"]:
        if signer["digest_algorithm"]["algorithm"].dotted in UKRAINIAN:
            return True
        if signer["signature_algorithm"]["algorithm"].dotted in UKRAINIAN:
            return True
    return any(c.is_dstu for c in certificates_of(signed))
