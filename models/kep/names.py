"""Certificate names in Ukrainian: "ім’я: …; організація: …" rather than X.509's English
attribute names ("Common Name: …"), for the signature panel and the stored descriptions."""

import re

from asn1crypto import x509

NAME_LABELS = {
    "common_name": "ім’я",
    "surname": "прізвище",
    "given_name": "ім’я та по батькові",
    "title": "посада",
    "organization_name": "організація",
    "organizational_unit_name": "підрозділ",
    "organization_identifier": "код організації",
    "serial_number": "реєстраційний номер",
    "country_name": "країна",
    "locality_name": "населений пункт",
    "state_or_province_name": "область",
    "street_address": "адреса",
    "postal_code": "поштовий індекс",
    "email_address": "пошта",
    "pseudonym": "псевдонім",
}
# asn1crypto's English labels ("Common Name"), as descriptions stored before this module say.
_ENGLISH = {x509.NameType(key).human_friendly: label for key, label in NAME_LABELS.items()}
_ENGLISH_LABEL = re.compile(
    r"(?<![\w’])(" + "|".join(re.escape(e) for e in sorted(_ENGLISH, key=len, reverse=True)) + "):"
)
_MECHANISMS = (("ecdsa", "ECDSA"), ("rsa", "RSA"), ("dsa", "DSA"), ("ed25519", "Ed25519"))


def ukrainian_name(name: x509.Name) -> str:
    """A certificate name as "ім’я: Олена Петренко, організація: …" (most specific first)."""
    parts = []
    for rdn in reversed(name.chosen):
        for attribute in rdn:
            key = attribute["type"].native
            label = NAME_LABELS.get(key, f"атрибут {attribute['type'].dotted}")
            parts.append(f"{label}: {attribute['value'].native}")
    return ", ".join(parts)


def ukrainian_certificate_text(text: str) -> str:
    """A stored certificate description with English attribute names put in Ukrainian."""
    return _ENGLISH_LABEL.sub(lambda m: _ENGLISH[m.group(1)] + ":", text)


def certificate_organization(text: str) -> str:
    """The owner's organization named in a certificate description, or ""."""
    owner = ukrainian_certificate_text(text).split("; видавець:")[0]
    found = re.search(r"організація: ([^,;]+)", owner)
    return found.group(1).strip() if found else ""


def ukrainian_algorithm(text: str) -> str:
    """ "sha256_rsa, sha256" (as PDF signing names it) as "RSA, геш SHA-256"; other text as is."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not re.fullmatch(r"[a-z0-9_]+", parts[0] + parts[1]):
        return text
    mechanism = next((name for key, name in _MECHANISMS if key in parts[0]), parts[0])
    digest = re.sub(r"^sha(\d+)$", r"SHA-\1", parts[1]).upper().replace("SHA3_", "SHA3-")
    return f"{mechanism}, геш {digest}"
