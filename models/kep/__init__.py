"""Qualified e-signature (КЕП) checks of detached CAdES signatures, DSTU 4145 included.

Byte-level only: no database session here (``store`` holds the trusted list's table).
``verify`` checks a .p7s: ``certificates`` reads the CMS and certificates in Python, ``node``
asks a small Node script (``node/verify.js``, jkurwa and gost89 from the npm registry) for the
DSTU 4145 signature checks and GOST 34.311 hashes that no Python library here provides,
``chain`` traces the chain to the trusted list, ``results`` holds what comes out, and
``algorithms`` the algorithms' identifiers and names.
"""

from models.kep.chain import parse_trust_list
from models.kep.node import node_problem
from models.kep.results import (
    CHAIN_LABELS,
    ChainStatus,
    KepError,
    KepResult,
    KepUnavailable,
    Signer,
    signers_from_json,
)
from models.kep.verify import is_ukrainian, verify_detached

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
