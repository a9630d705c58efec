"""Verify a detached CAdES signature (.p7s) of a document: every signer, its certificate and
the chain to the national list of qualified providers' certificates (CACertificates.p7b).

The CMS structure is read here with asn1crypto, leniently: its own certificate class cannot
read a DSTU 4145 public key. What Python cannot compute (GOST 34.311 hashes, DSTU 4145
signatures) is asked of ``node/verify.js`` in one subprocess call, with bounded input and a
timeout. RSA and ECDSA signers are checked with ``cryptography``. Nothing here claims more than
was checked: without a trusted list the chain is "not checked", never "trusted".
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms, core, pem, x509
from cryptography import x509 as crypto_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

log = logging.getLogger("infoaudit.kep")

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_SCRIPT = NODE_DIR / "verify.js"
NODE_TIMEOUT_SECONDS = 60
MAX_P7S_BYTES = 2_000_000
MAX_DOCUMENT_BYTES = 64_000_000
MAX_TRUST_LIST_BYTES = 16_000_000
MAX_SIGNERS = 10
MAX_CHAIN = 6

# Ukrainian national algorithms.
GOST34311 = "1.2.804.2.1.1.1.1.2.1"
DSTU4145_LE = "1.2.804.2.1.1.1.1.3.1.1"
DSTU4145_BE = "1.2.804.2.1.1.1.1.3.1.2"
ALGORITHM_NAMES = {
    GOST34311: "ГОСТ 34.311-95",
    "1.2.804.2.1.1.1.1.2.2.1": "ДСТУ 7564:2014 (Купина-256)",
    "1.2.804.2.1.1.1.1.2.2.2": "ДСТУ 7564:2014 (Купина-384)",
    "1.2.804.2.1.1.1.1.2.2.3": "ДСТУ 7564:2014 (Купина-512)",
    DSTU4145_LE: "ДСТУ 4145-2002",
    DSTU4145_BE: "ДСТУ 4145-2002",
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.113549.1.1.11": "RSA (SHA-256)",
    "1.2.840.113549.1.1.12": "RSA (SHA-384)",
    "1.2.840.113549.1.1.13": "RSA (SHA-512)",
    "1.2.840.10045.2.1": "ECDSA",
    "1.2.840.10045.4.3.2": "ECDSA (SHA-256)",
    "1.2.840.10045.4.3.3": "ECDSA (SHA-384)",
    "1.2.840.10045.4.3.4": "ECDSA (SHA-512)",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
    "1.3.14.3.2.26": "SHA-1",
}
UKRAINIAN = {oid for oid in ALGORITHM_NAMES if oid.startswith("1.2.804.")}
_PY_DIGESTS = {
    "1.3.14.3.2.26": ("sha1", hashes.SHA1()),
    "2.16.840.1.101.3.4.2.4": ("sha224", hashes.SHA224()),
    "2.16.840.1.101.3.4.2.1": ("sha256", hashes.SHA256()),
    "2.16.840.1.101.3.4.2.2": ("sha384", hashes.SHA384()),
    "2.16.840.1.101.3.4.2.3": ("sha512", hashes.SHA512()),
}
# Ukrainian identifiers in a certificate's subjectDirectoryAttributes (2.5.29.9).
DRFO_OID = "1.2.804.2.1.1.1.11.1.4.1.1"  # РНОКПП (ДРФО) of the holder
EDRPOU_OID = "1.2.804.2.1.1.1.11.1.4.2.1"  # ЄДРПОУ of the holder's organization
SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"

NO_NODE = (
    "Перевірити підпис ДСТУ 4145 тут неможливо: на сервері не встановлено Node.js або "
    "модулі перевірки КЕП (models/kep/node, «npm ci»). Зверніться до адміністратора."
)


class KepError(Exception):
    """A refusal with a message for people (Ukrainian)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KepUnavailable(KepError):
    """The DSTU checks cannot run on this machine (no Node.js or no npm modules)."""


class ChainStatus(enum.StrEnum):
    """How far the signer's certificate was traced."""

    TRUSTED = "trusted"  # every link checked up to a certificate of the trusted list
    NOT_CHECKED = "not_checked"  # no trusted list was given
    UNTRUSTED = "untrusted"  # the chain does not reach the trusted list
    BROKEN = "broken"  # a certificate's signature or validity failed


CHAIN_LABELS = {
    ChainStatus.TRUSTED: "ланцюжок до довіреного списку надавачів перевірено",
    ChainStatus.NOT_CHECKED: "ланцюжок не перевірено",
    ChainStatus.UNTRUSTED: "сертифікат не походить від надавача з довіреного списку",
    ChainStatus.BROKEN: "ланцюжок сертифікатів недійсний",
}


@dataclass(frozen=True)
class Signer:
    """One signature of the file: who, when, with what, and what was checked here."""

    name: str
    position: str
    organization: str
    edrpou: str
    rnokpp: str
    signed_at: datetime | None
    hash_algorithm: str
    signature_algorithm: str
    # True: the signature and the document's hash were checked and match; False: checked and
    # failed; None: not checked here (an algorithm no library here implements).
    valid: bool | None
    chain: ChainStatus
    chain_note: str
    problem: str
    certificate: str
    issuer: str
    serial: str

    @property
    def algorithm(self) -> str:
        """The algorithm as people read it: signature and hash."""
        return f"{self.signature_algorithm}, геш {self.hash_algorithm}"

    @property
    def verdict(self) -> str:
        """One line in plain Ukrainian."""
        if self.valid is None:
            return "підпис тут не перевірено"
        if not self.valid:
            return "підпис недійсний"
        if self.chain == ChainStatus.TRUSTED:
            return "підпис дійсний"
        if self.chain == ChainStatus.NOT_CHECKED:
            return "математично дійсний, ланцюжок не перевірено"
        return "математично дійсний, але сертифікат не довірений"

    def to_dict(self) -> dict[str, Any]:
        """For storing as JSON."""
        data = asdict(self)
        data["signed_at"] = self.signed_at.isoformat() if self.signed_at else None
        data["chain"] = self.chain.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signer:
        """From `to_dict`'s JSON."""
        values = dict(data)
        values["signed_at"] = (
            datetime.fromisoformat(values["signed_at"]) if values.get("signed_at") else None
        )
        values["chain"] = ChainStatus(values["chain"])
        return cls(**{k: values[k] for k in cls.__dataclass_fields__ if k in values})


@dataclass(frozen=True)
class KepResult:
    """Every signer of one .p7s."""

    signers: tuple[Signer, ...]
    trusted_list: bool
    tool: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        """Every signature checked here and valid."""
        return bool(self.signers) and all(s.valid is True for s in self.signers)

    @property
    def trusted(self) -> bool:
        """Valid, and every chain reaches the trusted list."""
        return self.valid and all(s.chain == ChainStatus.TRUSTED for s in self.signers)

    @property
    def checked(self) -> bool:
        """Every signature was checked here (valid or not)."""
        return all(s.valid is not None for s in self.signers)


def signers_from_json(text: str) -> list[Signer]:
    """The signers stored with a signature (JSON of `Signer.to_dict`); [] for none."""
    if not text:
        return []
    return [Signer.from_dict(item) for item in json.loads(text)]


# --- lenient ASN.1 -------------------------------------------------------------------------


class _Algorithm(core.Sequence):
    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class _PublicKeyInfo(core.Sequence):
    _fields = [("algorithm", _Algorithm), ("public_key", core.BitString)]


class _Tbs(core.Sequence):
    _fields = [
        (spec[0], _PublicKeyInfo, *spec[2:]) if spec[0] == "subject_public_key_info" else spec
        for spec in x509.TbsCertificate._fields
    ]


class _Certificate(core.Sequence):
    _fields = [
        ("tbs_certificate", _Tbs),
        ("signature_algorithm", _Algorithm),
        ("signature_value", core.OctetBitString),
    ]


class _Ipn(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.Any})]


class _Ipns(core.SequenceOf):
    _child_spec = _Ipn


@dataclass
class _Cert:
    """A certificate read leniently (any key algorithm)."""

    der: bytes
    asn1: _Certificate

    @classmethod
    def load(cls, der: bytes) -> _Cert:
        asn1 = _Certificate.load(der)
        tbs = asn1["tbs_certificate"]
        tbs["subject"].native  # noqa: B018 - parse now, fail early
        tbs["issuer"].native  # noqa: B018
        tbs["validity"].native  # noqa: B018
        tbs["subject_public_key_info"]["algorithm"]["algorithm"].dotted  # noqa: B018
        return cls(der=der, asn1=asn1)

    @property
    def tbs(self) -> Any:
        return self.asn1["tbs_certificate"]

    @property
    def subject(self) -> x509.Name:
        name: x509.Name = self.tbs["subject"]
        return name

    @property
    def issuer(self) -> x509.Name:
        name: x509.Name = self.tbs["issuer"]
        return name

    @property
    def serial(self) -> int:
        serial: int = self.tbs["serial_number"].native
        return serial

    @property
    def key_algorithm(self) -> str:
        oid: str = self.tbs["subject_public_key_info"]["algorithm"]["algorithm"].dotted
        return oid

    @property
    def signature_algorithm(self) -> str:
        oid: str = self.asn1["signature_algorithm"]["algorithm"].dotted
        return oid

    @property
    def is_dstu(self) -> bool:
        return self.key_algorithm in (DSTU4145_LE, DSTU4145_BE)

    def validity(self) -> tuple[datetime, datetime]:
        value = self.tbs["validity"].native
        return value["not_before"], value["not_after"]

    def _extension(self, dotted: str) -> Any:
        for ext in self.tbs["extensions"] or []:
            if ext["extn_id"].dotted == dotted:
                return ext["extn_value"]
        return None

    @property
    def key_identifier(self) -> bytes | None:
        value = self._extension("2.5.29.14")
        return bytes(value.parsed.native) if value is not None else None

    @property
    def authority_key_identifier(self) -> bytes | None:
        value = self._extension("2.5.29.35")
        if value is None:
            return None
        keyid = value.parsed["key_identifier"].native
        return bytes(keyid) if keyid is not None else None

    def directory_attributes(self) -> dict[str, str]:
        """Ukrainian identifiers (РНОКПП, ЄДРПОУ) from subjectDirectoryAttributes."""
        value = self._extension(SUBJECT_DIRECTORY_ATTRIBUTES)
        found: dict[str, str] = {}
        if value is None:
            return found
        try:
            for item in _Ipns.load(value.contents):
                values = item["values"]
                if len(values):
                    found[item["type"].dotted] = _string_of(values[0])
        except (ValueError, TypeError) as exc:
            log.info("Unreadable subjectDirectoryAttributes: %s", exc)
        return found

    def describe(self) -> str:
        return (
            f"Власник: {self.subject.human_friendly}; видавець: {self.issuer.human_friendly}; "
            f"серійний номер: {self.serial:X}"
        )

    def for_cryptography(self) -> crypto_x509.Certificate:
        return crypto_x509.load_der_x509_certificate(self.der)


def _string_of(value: core.Any) -> str:
    """The text of a PrintableString/UTF8String/… held as Any."""
    contents = value.contents or b""
    try:
        return contents.decode("utf-8").strip()
    except UnicodeDecodeError:
        return contents.decode("latin-1").strip()


def _digits(text: str, prefix: str) -> str:
    """The code from "TINUA-1234567890" / "NTRUA-12345678" style values (or bare digits)."""
    text = text.strip()
    if text.upper().startswith(prefix):
        text = text[len(prefix) :]
    return text if text.isdigit() else ""


def _name_parts(cert: _Cert) -> dict[str, str]:
    native = cert.subject.native
    name = str(native.get("common_name") or "")
    if not name:
        name = " ".join(str(native.get(k) or "") for k in ("surname", "given_name")).strip()
    attrs = cert.directory_attributes()
    rnokpp = _digits(attrs.get(DRFO_OID, ""), "") or _digits(
        str(native.get("serial_number") or ""), "TINUA-"
    )
    edrpou = _digits(attrs.get(EDRPOU_OID, ""), "") or _digits(
        str(native.get("organization_identifier") or ""), "NTRUA-"
    )
    return {
        "name": name,
        "position": str(native.get("title") or ""),
        "organization": str(native.get("organization_name") or ""),
        "rnokpp": rnokpp,
        "edrpou": edrpou,
    }


# --- reading the files ----------------------------------------------------------------------


def _unarmor(data: bytes) -> bytes:
    text = data.strip()
    if pem.detect(text):
        try:
            _, _, der = pem.unarmor(text)
            return bytes(der)
        except ValueError as exc:
            raise KepError("Файл у форматі PEM пошкоджено: його не вдалося прочитати.") from exc
    if data[:1] != b"\x30":
        try:
            return base64.b64decode(b"".join(text.split()), validate=True)
        except ValueError:
            return data
    return data


def _signed_data(data: bytes, *, what: str) -> cms.SignedData:
    raw = _unarmor(data)
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        signed: cms.SignedData = info["content"]
        # Parse what is read later now (asn1crypto parses lazily): a truncated or damaged
        # file is refused here, before anything is checked or stored.
        for signer in signed["signer_infos"]:
            signer["sid"].native  # noqa: B018
            signer["digest_algorithm"]["algorithm"].dotted  # noqa: B018
            signer["signature_algorithm"]["algorithm"].dotted  # noqa: B018
            signer["signature"].native  # noqa: B018
            for attr in signer["signed_attrs"] or []:
                attr["type"].dotted  # noqa: B018
        for choice in signed["certificates"] or []:
            if choice.name == "certificate":
                _Cert.load(choice.chosen.dump())
    except (ValueError, TypeError, KeyError) as exc:
        log.info("Unreadable %s: %s: %s", what, type(exc).__name__, exc)
        raise KepError(
            f"Файл {what} пошкоджено або обрізано: це не повний підпис CAdES/PKCS#7, "
            "тому його не прийнято. Завантажте файл підпису ще раз, без змін."
        ) from exc
    return signed


def _certificates(signed: cms.SignedData) -> list[_Cert]:
    return [
        _Cert.load(choice.chosen.dump())
        for choice in signed["certificates"] or []
        if choice.name == "certificate"
    ]


def parse_trust_list(data: bytes) -> list[bytes]:
    """The certificates (DER) of a trusted list: CACertificates.p7b, or one certificate."""
    if not data:
        raise KepError("Файл довіреного списку порожній.")
    if len(data) > MAX_TRUST_LIST_BYTES:
        raise KepError("Файл довіреного списку завеликий.")
    raw = _unarmor(data)
    try:
        return [_Cert.load(raw).der]
    except (ValueError, TypeError, KeyError):
        pass
    try:
        certs = _certificates(_signed_data(raw, what="довіреного списку (.p7b)"))
    except KepError as exc:
        raise KepError(
            "Файл не є списком сертифікатів надавачів (CACertificates.p7b у форматі PKCS#7) "
            "і не є сертифікатом: його не вдалося прочитати."
        ) from exc
    if not certs:
        raise KepError("У файлі довіреного списку немає жодного сертифіката.")
    return [c.der for c in certs]


def is_ukrainian(p7s: bytes) -> bool:
    """Whether a .p7s uses a Ukrainian national algorithm (for a signer or a certificate)."""
    try:
        signed = _signed_data(p7s[: MAX_P7S_BYTES + 1], what=".p7s")
    except KepError:
        # Unreadable to the lenient reader: it may still be a DSTU file (the check refuses it
        # with a clear message), and the other path refuses it too.
        return b"\x06\x0b\x2a\x86\x24\x02\x01\x01\x01\x01" in p7s
    for signer in signed["signer_infos"]:
        if signer["digest_algorithm"]["algorithm"].dotted in UKRAINIAN:
            return True
        if signer["signature_algorithm"]["algorithm"].dotted in UKRAINIAN:
            return True
    return any(c.is_dstu for c in _certificates(signed))


# --- Node ------------------------------------------------------------------------------------


def _node_binary() -> str | None:
    configured = os.environ.get("INFOAUDIT_NODE")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("node")


def node_problem() -> str | None:
    """Why the DSTU checks cannot run here, or None when they can."""
    if _node_binary() is None:
        return NO_NODE
    if not (NODE_DIR / "node_modules" / "jkurwa").is_dir():
        return NO_NODE
    return None


def _node(requests: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    if not requests:
        return [], ""
    problem = node_problem()
    binary = _node_binary()
    if problem or binary is None:
        raise KepUnavailable(problem or NO_NODE)
    payload = json.dumps({"requests": requests}).encode()
    try:
        done = subprocess.run(  # noqa: S603 - a fixed script, input on stdin only
            [binary, str(NODE_SCRIPT)],
            input=payload,
            capture_output=True,
            timeout=NODE_TIMEOUT_SECONDS,
            cwd=NODE_DIR,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("KEP node helper failed: %s", exc)
        raise KepUnavailable(
            "Перевірка підпису ДСТУ 4145 не завершилася (модуль перевірки не відповів вчасно). "
            "Спробуйте ще раз пізніше."
        ) from exc
    if done.returncode != 0:
        log.error("KEP node helper exited %s: %s", done.returncode, done.stderr[:500])
        raise KepUnavailable(
            "Модуль перевірки підпису ДСТУ 4145 завершився з помилкою. Зверніться до "
            "адміністратора (журнал сервера містить подробиці)."
        )
    answer = json.loads(done.stdout)
    results: list[dict[str, Any]] = answer["results"]
    if len(results) != len(requests):
        raise KepUnavailable("Модуль перевірки підпису ДСТУ 4145 відповів неповно.")
    versions = answer.get("versions") or {}
    tool = ", ".join(f"{k} {v}" for k, v in versions.items())
    return results, tool


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- checks ----------------------------------------------------------------------------------


class _Batch:
    """Node requests gathered first, sent in one call, answered by index."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.tool = ""

    def add(self, request: dict[str, Any]) -> int:
        self.requests.append(request)
        return len(self.requests) - 1

    def run(self) -> None:
        self.results, self.tool = _node(self.requests)

    def answer(self, index: int) -> dict[str, Any]:
        return self.results[index]


def _crypto_verify(cert: _Cert, data: bytes, signature: bytes, digest_oid: str) -> bool:
    """An RSA (PKCS #1 v1.5) or ECDSA signature, checked with `cryptography`."""
    if digest_oid not in _PY_DIGESTS:
        return False
    algorithm = _PY_DIGESTS[digest_oid][1]
    key = cert.for_cryptography().public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _attr(signer_info: cms.SignerInfo, name: str) -> Any:
    for attr in signer_info["signed_attrs"] or []:
        if attr["type"].native == name:
            return attr["values"][0]
    return None


def _find_signer_cert(certs: Sequence[_Cert], signer_info: cms.SignerInfo) -> _Cert | None:
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


def _issuer_of(cert: _Cert, pool: Iterable[_Cert]) -> _Cert | None:
    aki = cert.authority_key_identifier
    candidates = [c for c in pool if c.subject == cert.issuer and c.der != cert.der]
    for candidate in candidates:
        if aki is None or candidate.key_identifier in (None, aki):
            return candidate
    return None


def _cert_link_request(cert: _Cert, issuer: _Cert) -> dict[str, Any] | None:
    if cert.signature_algorithm not in (DSTU4145_LE, DSTU4145_BE) or not issuer.is_dstu:
        return None
    return {
        "op": "verify",
        "hash": "gost34311",
        "cert": _b64(issuer.der),
        "data": _b64(cert.tbs.dump()),
        "signature": _b64(cert.asn1["signature_value"].native),
        "format": "short",
    }


def _crypto_link(cert: _Cert, issuer: _Cert) -> bool:
    try:
        cert.for_cryptography().verify_directly_issued_by(issuer.for_cryptography())
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass
class _Plan:
    """What one signer needs checked: its signature, its hash, its chain's links."""

    signer_info: cms.SignerInfo
    cert: _Cert | None
    digest_oid: str
    signature_oid: str
    signed_at: datetime | None
    message_digest: bytes | None
    signed_bytes: bytes
    digest_index: int | None = None
    signature_index: int | None = None
    chain: list[tuple[_Cert, _Cert, int | None]] = field(default_factory=list)
    chain_end: str = ""  # "trusted", "no_issuer", "root", "too_long", "not_checked"


def _plan_chain(plan: _Plan, pool: list[_Cert], trusted: set[bytes] | None, batch: _Batch) -> None:
    if plan.cert is None:
        plan.chain_end = "no_cert"
        return
    if trusted is None:
        plan.chain_end = "not_checked"
        return
    current = plan.cert
    for _ in range(MAX_CHAIN):
        if current.der in trusted:
            plan.chain_end = "trusted"
            return
        issuer = _issuer_of(current, [c for c in pool if c.der in trusted]) or _issuer_of(
            current, pool
        )
        if issuer is None:
            plan.chain_end = "root" if current.subject == current.issuer else "no_issuer"
            return
        request = _cert_link_request(current, issuer)
        index = batch.add(request) if request else None
        plan.chain.append((current, issuer, index))
        if issuer.der in trusted:
            plan.chain_end = "trusted"
            return
        current = issuer
    plan.chain_end = "too_long"


def _at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _chain_result(plan: _Plan, batch: _Batch) -> tuple[ChainStatus, str]:
    if plan.chain_end == "not_checked":
        return ChainStatus.NOT_CHECKED, (
            "Довірений список сертифікатів надавачів (CACertificates.p7b) не завантажено."
        )
    if plan.chain_end == "no_cert":
        return ChainStatus.UNTRUSTED, "Сертифіката підписувача у файлі підпису немає."
    when = plan.signed_at or datetime.now(UTC)
    for cert, issuer, index in plan.chain:
        if index is not None:
            ok = bool(batch.answer(index).get("valid"))
        elif cert.is_dstu or issuer.is_dstu:
            ok = False
        else:
            ok = _crypto_link(cert, issuer)
        if not ok:
            return ChainStatus.BROKEN, (
                f"Підпис сертифіката «{_short(cert.subject)}» не відповідає ключу "
                f"видавця «{_short(issuer.subject)}»."
            )
        for checked in (cert, issuer):
            start, end = checked.validity()
            if not start <= when <= end:
                return ChainStatus.BROKEN, (
                    f"Сертифікат «{_short(checked.subject)}» не був чинним на час "
                    f"підпису ({start:%d.%m.%Y} – {end:%d.%m.%Y})."
                )
    if plan.chain_end == "trusted":
        top = plan.chain[-1][1] if plan.chain else plan.cert
        assert top is not None
        return ChainStatus.TRUSTED, (
            f"Сертифікат видано надавачем зі списку: «{_short(top.subject)}»."
        )
    last = plan.chain[-1][1] if plan.chain else plan.cert
    assert last is not None
    if plan.chain_end == "root":
        return ChainStatus.UNTRUSTED, (
            f"Кореневого сертифіката «{_short(last.subject)}» немає в довіреному списку надавачів."
        )
    return ChainStatus.UNTRUSTED, (
        f"Видавця сертифіката («{_short(last.issuer)}») немає в довіреному списку надавачів."
    )


def _short(name: x509.Name) -> str:
    native = name.native
    return str(native.get("common_name") or native.get("organization_name") or "") or (
        name.human_friendly
    )


def _name(oid: str) -> str:
    return ALGORITHM_NAMES.get(oid, oid)


def _plan_signer(
    signer_info: cms.SignerInfo, certs: list[_Cert], document: bytes, batch: _Batch
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
        plan.digest_index = batch.add({"op": "digest", "hash": "gost34311", "data": _b64(document)})
    if cert is not None and cert.is_dstu and digest_oid == GOST34311:
        plan.signature_index = batch.add(
            {
                "op": "verify",
                "hash": "gost34311",
                "cert": _b64(cert.der),
                "data": _b64(signed_bytes),
                "signature": _b64(bytes(signer_info["signature"].native)),
                "format": "le",
            }
        )
    return plan


def _signature_result(plan: _Plan, document: bytes, batch: _Batch) -> tuple[bool | None, str]:
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
        elif plan.digest_oid in _PY_DIGESTS:
            digest = hashlib.new(_PY_DIGESTS[plan.digest_oid][0], document).digest()
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
    signed = _signed_data(p7s, what=".p7s")
    signer_infos = list(signed["signer_infos"])
    if not signer_infos:
        raise KepError("У файлі .p7s немає жодного підпису.")
    if len(signer_infos) > MAX_SIGNERS:
        raise KepError(f"У файлі .p7s понад {MAX_SIGNERS} підписів: такий файл не прийнято.")
    content = signed["encap_content_info"]["content"]
    if content is not None and content.native is not None and content.native != document:
        raise KepError("Підпис містить інший документ, ніж цей PDF звіту: прийняти його не можна.")
    certs = _certificates(signed)
    trusted_certs = [_Cert.load(der) for der in trusted] if trusted is not None else []
    trusted_set = {c.der for c in trusted_certs} if trusted is not None else None
    pool = trusted_certs + certs
    batch = _Batch()
    plans = [_plan_signer(info, certs, document, batch) for info in signer_infos]
    for plan in plans:
        _plan_chain(plan, pool, trusted_set, batch)
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
        if unavailable and any(index is not None for _, _, index in plan.chain):
            chain, chain_note = ChainStatus.NOT_CHECKED, unavailable
        else:
            chain, chain_note = _chain_result(plan, batch)
        parts = (
            _name_parts(plan.cert)
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
                issuer=_short(plan.cert.issuer) if plan.cert else "",
                serial=f"{plan.cert.serial:X}" if plan.cert else "",
            )
        )
    return KepResult(signers=tuple(signers), trusted_list=trusted is not None, tool=batch.tool)


__all__ = [
    "CHAIN_LABELS",
    "ChainStatus",
    "KepError",
    "KepResult",
    "KepUnavailable",
    "Signer",
    "is_ukrainian",
    "node_problem",
    "parse_trust_list",
    "signers_from_json",
    "verify_detached",
]
