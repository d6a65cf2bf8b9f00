"""Domain exceptions. They are raised where the problem is found and mapped to HTTP in `http`."""


class ApkdropError(Exception):
    """Base of every error a client can cause; `detail` is safe to show them."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequest(ApkdropError):
    """The request is malformed or names a value that is not allowed."""


class Unauthenticated(ApkdropError):
    """No API key, or one that is not known."""


class Forbidden(ApkdropError):
    """The caller is known but may not do this."""


class NotFound(ApkdropError):
    """The resource does not exist for this account."""


class MethodNotAllowed(ApkdropError):
    """The path exists, but not with this method; `allowed` lists the ones it takes."""

    def __init__(self, detail: str, allowed: list[str]) -> None:
        super().__init__(detail)
        self.allowed = allowed


class Conflict(ApkdropError):
    """The request clashes with the current state of a resource."""


class Unprocessable(ApkdropError):
    """The request is well formed but contradicts an earlier one it claims to repeat (an
    Idempotency-Key sent with another upload)."""


class PayloadTooLarge(ApkdropError):
    """The request body is larger than this path accepts."""


class RateLimited(ApkdropError):
    """Too many requests in the current window; `retry_after` says when the next one may go."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class BackendUnavailable(ApkdropError):
    """A Google Cloud service (or SendGrid) failed or timed out; the caller may retry."""


class CommitOutcomeUnknown(BackendUnavailable):
    """A commit answered with an error, and whether it was applied all the same could not be
    read back: what it would have stored may be in use, so nothing it names may be deleted."""


class Misconfigured(ApkdropError):
    """The deployment lacks a setting or secret this request needs: no retry helps until an
    operator fixes it, so it answers 500 without Retry-After (a task queue gives up after its
    max attempts) and is logged as CRITICAL."""


class ObjectGone(Exception):
    """An object named by an event no longer exists; there is nothing left to inspect."""


class Gone(ApkdropError):
    """The resource existed and was deleted."""
