"""What a КЕП check tells: every signer (who, when, with what, what was checked here), the
status of its chain, the result of one .p7s, and the refusals (messages for people, Ukrainian)."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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
