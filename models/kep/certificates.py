"""Certificates and CMS files read leniently with asn1crypto (its own certificate class cannot
read a DSTU 4145 public key): the holder's name, position, organization and the Ukrainian
identifiers (ЄДРПОУ, РНОКПП); PEM, base64 or DER; a damaged file refused with a clear message."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms, core, pem, x509
from cryptography import x509 as crypto_x509

from models.kep.algorithms import DSTU4145_BE, DSTU4145_LE
from models.kep.names import ukrainian_name
from models.kep.results import KepError

log = logging.getLogger("infoaudit.kep")

# Ukrainian identifiers in a certificate's subjectDirectoryAttributes (2.5.29.9).
DRFO_OID = "1.2.804.2.1.1.1.11.1.4.1.1"  # РНОКПП (ДРФО) of the holder
EDRPOU_OID = "1.2.804.2.1.1.1.11.1.4.2.1"  # ЄДРПОУ of the holder's organization
SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"


# --- lenient ASN.1 -------------------------------------------------------------------------


class _Algorithm(core.Sequence):
    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class LenientPublicKeyInfo(core.Sequence):
    """SubjectPublicKeyInfo with any key algorithm (a DSTU 4145 key included)."""

    _fields = [("algorithm", _Algorithm), ("public_key", core.BitString)]


class LenientTbs(core.Sequence):
    """TBSCertificate with a `LenientPublicKeyInfo`."""

    _fields = [
        (spec[0], LenientPublicKeyInfo, *spec[2:]) if spec[0] == "subject_public_key_info" else spec
        for spec in x509.TbsCertificate._fields
    ]


class LenientCertificate(core.Sequence):
    """Certificate with a `LenientTbs`: readable whatever its key algorithm."""

    _fields = [
        ("tbs_certificate", LenientTbs),
        ("signature_algorithm", _Algorithm),
        ("signature_value", core.OctetBitString),
    ]


class _Ipn(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.Any})]


class _Ipns(core.SequenceOf):
    _child_spec = _Ipn


@dataclass
class Cert:
    """A certificate read leniently (any key algorithm)."""

    der: bytes
    asn1: LenientCertificate

    @classmethod
    def load(cls, der: bytes) -> Cert:
        asn1 = LenientCertificate.load(der)
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
            f"Власник: {ukrainian_name(self.subject)}; видавець: {ukrainian_name(self.issuer)}; "
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


def name_parts(cert: Cert) -> dict[str, str]:
    """The holder: name, position, organization, РНОКПП and ЄДРПОУ (empty when absent)."""
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


def unarmor(data: bytes) -> bytes:
    """DER from PEM, bare base64 or DER bytes."""
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


def read_signed_data(data: bytes, *, what: str) -> cms.SignedData:
    """The CMS SignedData of a file, parsed through; KepError naming ``what`` when damaged."""
    raw = unarmor(data)
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
                Cert.load(choice.chosen.dump())
    except (ValueError, TypeError, KeyError) as exc:
        log.info("Unreadable %s: %s: %s", what, type(exc).__name__, exc)
        raise KepError(
            f"Файл {what} пошкоджено або обрізано: це не повний підпис CAdES/PKCS#7, "
            "тому його не прийнято. Завантажте файл підпису ще раз, без змін."
        ) from exc
    return signed


def certificates_of(signed: cms.SignedData) -> list[Cert]:
    """The certificates a SignedData carries, read leniently."""
    return [
        Cert.load(choice.chosen.dump())
        for choice in signed["certificates"] or []
        if choice.name == "certificate"
    ]


def short_name(name: x509.Name) -> str:
    """The common name (or organization) of a certificate name, for one line of text."""
    native = name.native
    return str(native.get("common_name") or native.get("organization_name") or "") or (
        ukrainian_name(name)
    )
