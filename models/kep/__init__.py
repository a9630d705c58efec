"""Qualified e-signature (КЕП) checks of detached CAdES signatures, DSTU 4145 included.

Byte-level only: no database session here. ``verify.py`` parses the CMS in Python and asks a
small Node script (``node/verify.js``, jkurwa and gost89 from the npm registry) for the
DSTU 4145 signature checks and GOST 34.311 hashes that no Python library here provides.
"""

from models.kep.verify import (
    CHAIN_LABELS,
    ChainStatus,
    KepError,
    KepResult,
    KepUnavailable,
    Signer,
    is_ukrainian,
    node_problem,
    parse_trust_list,
    signers_from_json,
    verify_detached,
)

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
