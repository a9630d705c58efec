"""The chain from a signer's certificate to the trusted list of qualified providers'
certificates (CACertificates.p7b): reading that list, finding each issuer, and checking every
link (DSTU 4145 links by Node, RSA/ECDSA links with `cryptography`) and every validity period.
Without a trusted list the chain is "not checked", never "trusted"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from models.kep.algorithms import DSTU4145_BE, DSTU4145_LE
from models.kep.certificates import (
    Cert,
    certificates_of,
    read_signed_data,
    short_name,
    unarmor,
)
from models.kep.node import Batch, b64
from models.kep.results import ChainStatus, KepError

MAX_TRUST_LIST_BYTES = 16_000_000
MAX_CHAIN = 6


def parse_trust_list(data: bytes) -> list[bytes]:
    """The certificates (DER) of a trusted list: CACertificates.p7b, or one certificate."""
    if not data:
        raise KepError("Файл довіреного списку порожній.")
    if len(data) > MAX_TRUST_LIST_BYTES:
        raise KepError("Файл довіреного списку завеликий.")
    raw = unarmor(data)
    try:
        return [Cert.load(raw).der]
    except (ValueError, TypeError, KeyError):
        pass
    try:
        certs = certificates_of(read_signed_data(raw, what="довіреного списку (.p7b)"))
    except KepError as exc:
        raise KepError(
            "Файл не є списком сертифікатів надавачів (CACertificates.p7b у форматі PKCS#7) "
            "і не є сертифікатом: його не вдалося прочитати."
        ) from exc
    if not certs:
        raise KepError("У файлі довіреного списку немає жодного сертифіката.")
    return [c.der for c in certs]


def _issuer_of(cert: Cert, pool: Iterable[Cert]) -> Cert | None:
    aki = cert.authority_key_identifier
    candidates = [c for c in pool if c.subject == cert.issuer and c.der != cert.der]
    for candidate in candidates:
        if aki is None or candidate.key_identifier in (None, aki):
            return candidate
    return None


def cert_link_request(cert: Cert, issuer: Cert) -> dict[str, Any] | None:
    """The Node request checking that ``issuer`` signed ``cert`` (DSTU 4145 only, else None)."""
    if cert.signature_algorithm not in (DSTU4145_LE, DSTU4145_BE) or not issuer.is_dstu:
        return None
    return {
        "op": "verify",
        "hash": "gost34311",
        "cert": b64(issuer.der),
        "data": b64(cert.tbs.dump()),
        "signature": b64(cert.asn1["signature_value"].native),
        "format": "short",
    }


def _crypto_link(cert: Cert, issuer: Cert) -> bool:
    try:
        cert.for_cryptography().verify_directly_issued_by(issuer.for_cryptography())
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass
class ChainPlan:
    """One signer's chain as planned: its links (certificate, issuer, the index of the Node
    request checking the link, if any) and how it ends: "trusted", "no_issuer", "root",
    "too_long", "not_checked" or "no_cert"."""

    links: list[tuple[Cert, Cert, int | None]] = field(default_factory=list)
    end: str = ""


def plan_chain(
    cert: Cert | None, pool: list[Cert], trusted: set[bytes] | None, batch: Batch
) -> ChainPlan:
    """The chain of ``cert`` through ``pool`` to the ``trusted`` certificates (DER), its DSTU
    links added to ``batch``."""
    plan = ChainPlan()
    if cert is None:
        plan.end = "no_cert"
        return plan
    if trusted is None:
        plan.end = "not_checked"
        return plan
    current = cert
    for _ in range(MAX_CHAIN):
        if current.der in trusted:
            plan.end = "trusted"
            return plan
        issuer = _issuer_of(current, [c for c in pool if c.der in trusted]) or _issuer_of(
            current, pool
        )
        if issuer is None:
            plan.end = "root" if current.subject == current.issuer else "no_issuer"
            return plan
        request = cert_link_request(current, issuer)
        index = batch.add(request) if request else None
        plan.links.append((current, issuer, index))
        if issuer.der in trusted:
            plan.end = "trusted"
            return plan
        current = issuer
    plan.end = "too_long"
    return plan


def chain_result(
    chain: ChainPlan, cert: Cert | None, signed_at: datetime | None, batch: Batch
) -> tuple[ChainStatus, str]:
    """The chain's status and a note for people, once ``batch`` has run."""
    if chain.end == "not_checked":
        return ChainStatus.NOT_CHECKED, (
            "Довірений список сертифікатів надавачів (CACertificates.p7b) не завантажено."
        )
    if chain.end == "no_cert":
        return ChainStatus.UNTRUSTED, "Сертифіката підписувача у файлі підпису немає."
    when = signed_at or datetime.now(UTC)
    for child, issuer, index in chain.links:
        if index is not None:
            ok = bool(batch.answer(index).get("valid"))
        elif child.is_dstu or issuer.is_dstu:
            ok = False
        else:
            ok = _crypto_link(child, issuer)
        if not ok:
            return ChainStatus.BROKEN, (
                f"Підпис сертифіката «{short_name(child.subject)}» не відповідає ключу "
                f"видавця «{short_name(issuer.subject)}»."
            )
        for checked in (child, issuer):
            start, end = checked.validity()
            if not start <= when <= end:
                return ChainStatus.BROKEN, (
                    f"Сертифікат «{short_name(checked.subject)}» не був чинним на час "
                    f"підпису ({start:%d.%m.%Y} – {end:%d.%m.%Y})."
                )
    if chain.end == "trusted":
        top = chain.links[-1][1] if chain.links else cert
        assert top is not None
        return ChainStatus.TRUSTED, (
            f"Сертифікат видано надавачем зі списку: «{short_name(top.subject)}»."
        )
    last = chain.links[-1][1] if chain.links else cert
    assert last is not None
    if chain.end == "root":
        return ChainStatus.UNTRUSTED, (
            f"Кореневого сертифіката «{short_name(last.subject)}» немає в довіреному списку "
            "надавачів."
        )
    return ChainStatus.UNTRUSTED, (
        f"Видавця сертифіката («{short_name(last.issuer)}») немає в довіреному списку надавачів."
    )
