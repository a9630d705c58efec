"""Make the DSTU 4145 test material in this folder (run once; the output is committed).

    cd /work/wt-kep && PYTHONPATH=$PWD python tests/data/kep/make.py

Keys are made fresh by jkurwa (make.js) on the standard 257-bit DSTU 4145 curve and thrown
away; certificates and the CMS are assembled here with asn1crypto, every signature made by
jkurwa over a GOST 34.311 hash. See README.md for what each file is.
"""

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import cms, core, x509

from models.kep.algorithms import DSTU4145_LE, GOST34311
from models.kep.certificates import (
    DRFO_OID,
    EDRPOU_OID,
    LenientCertificate,
    LenientPublicKeyInfo,
    LenientTbs,
)
from models.kep.node import run_node

HERE = Path(__file__).resolve().parent
VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
VALID_TO = datetime(2034, 1, 1, tzinfo=UTC)
SIGNED_AT = datetime(2025, 6, 16, 9, 30, tzinfo=UTC)


def _js(*args: str) -> dict[str, str]:
    done = subprocess.run(
        ["node", str(HERE / "make.js"), *args], capture_output=True, check=True, cwd=HERE
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result


class Key:
    def __init__(self) -> None:
        made = _js("keygen")
        self.hex = made["key"]
        cert = LenientCertificate.load(base64.b64decode(made["cert"]))
        self.spki_der = cert["tbs_certificate"]["subject_public_key_info"].dump()
        self.key_id = _digest(self.spki_bit_string())

    def spki_bit_string(self) -> bytes:
        # The BIT STRING's content after the unused-bits byte: OCTET STRING of the point.
        spki = core.Sequence.load(self.spki_der)
        bits = spki[1]
        return bytes(bits.contents[1:])

    def sign(self, data: bytes, fmt: str) -> bytes:
        return base64.b64decode(
            _js("sign", self.hex, base64.b64encode(data).decode(), fmt)["signature"]
        )


def _digest(data: bytes) -> bytes:
    [answer], _ = run_node(
        [{"op": "digest", "hash": "gost34311", "data": base64.b64encode(data).decode()}]
    )
    return base64.b64decode(answer["digest"])


class _Ipn(core.Sequence):
    _fields = [
        ("type", core.ObjectIdentifier),
        ("values", core.SetOf, {"spec": core.PrintableString}),
    ]


class _Ipns(core.SequenceOf):
    _child_spec = _Ipn


def _name(**fields: str) -> x509.Name:
    return x509.Name.build(fields, use_printable=False)


def certificate(
    *,
    key: Key,
    issuer_key: Key,
    subject: x509.Name,
    issuer: x509.Name,
    serial: int,
    ca: bool,
    codes: dict[str, str] | None = None,
) -> bytes:
    extensions = [
        {"extn_id": "key_identifier", "critical": False, "extn_value": key.key_id},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": issuer_key.key_id},
        },
        {
            "extn_id": "key_usage",
            "critical": True,
            "extn_value": {"key_cert_sign", "crl_sign"}
            if ca
            else {"digital_signature", "non_repudiation"},
        },
        {
            "extn_id": "basic_constraints",
            "critical": True,
            "extn_value": {"ca": ca},
        },
    ]
    if codes:
        # subjectDirectoryAttributes (2.5.29.9) with the Ukrainian codes (РНОКПП, ЄДРПОУ).
        ipns = _Ipns([{"type": oid, "values": [value]} for oid, value in codes.items()])
        extensions.append(
            {
                "extn_id": "2.5.29.9",
                "critical": False,
                "extn_value": core.ParsableOctetString(ipns.dump()),
            }
        )
    tbs = LenientTbs(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": {"algorithm": DSTU4145_LE},
            "issuer": issuer,
            "validity": {
                "not_before": x509.Time({"utc_time": VALID_FROM}),
                "not_after": x509.Time({"utc_time": VALID_TO}),
            },
            "subject": subject,
            "subject_public_key_info": LenientPublicKeyInfo.load(key.spki_der),
            "extensions": extensions,
        }
    )
    raw_tbs = tbs.dump()
    cert = LenientCertificate(
        {
            "tbs_certificate": LenientTbs.load(raw_tbs),
            "signature_algorithm": {"algorithm": DSTU4145_LE},
            "signature_value": key_sign(issuer_key, raw_tbs),
        }
    )
    return cert.dump()


def key_sign(key: Key, data: bytes) -> bytes:
    return key.sign(data, "short")


def signer_info(cert_der: bytes, key: Key, pdf: bytes) -> cms.SignerInfo:
    cert = x509.Certificate.load(cert_der)
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["data"]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": SIGNED_AT})]},
            {"type": "message_digest", "values": [_digest(pdf)]},
        ]
    )
    signed = b"\x31" + attrs.dump()[1:]
    return cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert["tbs_certificate"]["issuer"],
                        "serial_number": cert["tbs_certificate"]["serial_number"].native,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": GOST34311},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": DSTU4145_LE},
            "signature": key.sign(signed, "le"),
        }
    )


def signed_data(certs: list[bytes], infos: list[cms.SignerInfo]) -> bytes:
    return cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": {
                "version": "v1",
                "digest_algorithms": [{"algorithm": GOST34311}] if infos else [],
                "encap_content_info": {"content_type": "data"},
                "certificates": [x509.Certificate.load(c) for c in certs],
                "signer_infos": infos,
            },
        }
    ).dump()


def test_pdf() -> bytes:
    from weasyprint import HTML

    from report_templates.render import TEMPLATES_DIR, TemplateOnlyURLFetcher

    pdf = HTML(
        string='<html><head><link rel="stylesheet" href="report.css"></head><body>'
        "<h1>Звіт за результатами інформаційного аудиту</h1>"
        "<p>Тестовий документ для перевірки КЕП (ДСТУ 4145).</p></body></html>",
        base_url=str(TEMPLATES_DIR),
        url_fetcher=TemplateOnlyURLFetcher(),
    ).write_pdf()
    assert pdf is not None
    return pdf


def main() -> None:
    pdf = test_pdf()
    (HERE / "report.pdf").write_bytes(pdf)

    ca_key, outsider_ca_key = Key(), Key()
    ca_name = _name(
        common_name="Тестовий кваліфікований надавач електронних довірчих послуг",
        organization_name="Тестовий КНЕДП",
        serial_number="UA-99999999",
        country_name="UA",
        locality_name="Київ",
    )
    ca = certificate(
        key=ca_key, issuer_key=ca_key, subject=ca_name, issuer=ca_name, serial=0x1001, ca=True
    )
    people = [
        ("Тестенко Марія Іванівна", "Міський голова", "1234567890", 0x2001),
        ("Петренко Олег Васильович", "Секретар міської ради", "2345678901", 0x2002),
    ]
    infos, certs = [], []
    for full_name, title, rnokpp, serial in people:
        key = Key()
        surname, given = full_name.split(" ", 1)
        subject = _name(
            common_name=full_name,
            surname=surname,
            given_name=given,
            title=title,
            organization_name="Тестівська міська рада",
            serial_number=f"TINUA-{rnokpp}",
            country_name="UA",
            locality_name="Тестів",
        )
        cert = certificate(
            key=key,
            issuer_key=ca_key,
            subject=subject,
            issuer=ca_name,
            serial=serial,
            ca=False,
            codes={DRFO_OID: rnokpp, EDRPOU_OID: "12345678"},
        )
        certs.append(cert)
        infos.append(signer_info(cert, key, pdf))
    (HERE / "report.pdf.p7s").write_bytes(signed_data(certs, infos))
    (HERE / "ca.p7b").write_bytes(signed_data([ca], []))

    outsider_name = _name(
        common_name="Сторонній центр сертифікації", country_name="UA", serial_number="UA-00000000"
    )
    outsider_key = Key()
    outsider = certificate(
        key=outsider_key,
        issuer_key=outsider_ca_key,
        subject=_name(
            common_name="Сторонній Іван Петрович",
            title="Міський голова",
            organization_name="Тестівська міська рада",
            serial_number="TINUA-3456789012",
            country_name="UA",
        ),
        issuer=outsider_name,
        serial=0x3001,
        ca=False,
        codes={DRFO_OID: "3456789012", EDRPOU_OID: "12345678"},
    )
    (HERE / "outsider.pdf.p7s").write_bytes(
        signed_data([outsider], [signer_info(outsider, outsider_key, pdf)])
    )


if __name__ == "__main__":
    main()
