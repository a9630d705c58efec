"""The web server's access log without secrets: a unit's questionnaire link (/q/<token>) and a
resume or invitation code (?code=…) are credentials, so they never reach a log file."""

import logging
import re

_SECRET_PATH = re.compile(r"(/q/)[^/?#\s]+")
_SECRET_QUERY = re.compile(r"((?:^|[?&])(?:code|token)=)[^&#\s]*")
HIDDEN = "…"


def redact(path: str) -> str:
    """The path with every secret in it replaced by an ellipsis."""
    return _SECRET_QUERY.sub(rf"\g<1>{HIDDEN}", _SECRET_PATH.sub(rf"\g<1>{HIDDEN}", path))


class RedactSecrets(logging.Filter):
    """A filter for uvicorn's access logger (its arguments: client, method, path, …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = redact(str(args[2]))
            record.args = tuple(args)
        return True


def install() -> None:
    """Redact uvicorn's access log (idempotent)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
