"""Domain errors: each carries its HTTP status and a Ukrainian message for people."""


class DomainError(Exception):
    """A business refusal; never a 500."""

    status_code = 400
    # Seconds after which the same request may succeed (sent as `Retry-After`).
    retry_after: int | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing does not exist (or is not visible to the caller)."""

    status_code = 404


class Forbidden(DomainError):
    """The caller's role does not allow this."""

    status_code = 403


class Unauthorized(DomainError):
    """No valid login."""

    status_code = 401


class Conflict(DomainError):
    """The request clashes with the state: a closed stage, a duplicate."""

    status_code = 409


class Invalid(DomainError):
    """Bad input that a schema could not catch."""

    status_code = 422


class FieldErrors(Invalid):
    """Bad input in several fields at once: each message belongs beside its field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), field=next(iter(errors), None))
        self.errors = errors


class TooLarge(DomainError):
    """A body or file over its size limit (the message names the limit)."""

    status_code = 413


class UnsupportedMediaType(DomainError):
    """A body in a format the endpoint does not take."""

    status_code = 415


class Unavailable(DomainError):
    """A service the request depends on (a time-stamping authority) did not answer."""

    status_code = 502


class TooManyAttempts(DomainError):
    """Too many attempts in a row (logins): refused until the lockout ends."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
