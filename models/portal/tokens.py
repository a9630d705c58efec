"""An organization's portal API key at rest: sealed with a key derived from INFOAUDIT_SECRET_KEY.

The key writes to the national portal in the organization's name, so a database dump or a
backup alone must not give it away. A key sealed under another secret key (the installation's
key was changed) cannot be opened: it counts as not set, and the coordinator enters it again.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

PURPOSE = b"infoaudit portal api key v1"


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(PURPOSE + b"\0" + secret_key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_token(token: str, *, secret_key: str) -> str:
    """The token encrypted and authenticated for storage."""
    return _fernet(secret_key).encrypt(token.encode("utf-8")).decode("ascii")


def open_token(sealed: str | None, *, secret_key: str) -> str | None:
    """The stored token, or None when none is stored or it was sealed under another key."""
    if not sealed:
        return None
    try:
        return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
