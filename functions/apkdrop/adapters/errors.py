"""Turns a Google API or transport failure into the one error the HTTP layer maps to 503."""

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

from apkdrop.errors import BackendUnavailable

P = ParamSpec("P")
R = TypeVar("R")


TRANSIENT = (
    api_exceptions.GoogleAPIError,
    auth_exceptions.TransportError,
    auth_exceptions.RefreshError,
    requests.RequestException,
)


def backend_call(service: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorates an adapter method so a backend failure surfaces as BackendUnavailable."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except TRANSIENT as exc:
                raise BackendUnavailable(f"{service} is unavailable, retry later") from exc
            except ValueError as exc:
                # A Firestore transaction that lost every attempt to contention: the library
                # raises ValueError from the last attempt's Aborted. Retryable, like its cause.
                if isinstance(exc.__cause__, TRANSIENT):
                    raise BackendUnavailable(f"{service} is busy, retry later") from exc
                raise

        return wrapper

    return decorate


@contextlib.contextmanager
def storage_failures_are_transient() -> Iterator[None]:
    """Like backend_call for Cloud Storage, except NotFound: that the object is gone is news."""
    try:
        yield
    except api_exceptions.NotFound:
        raise
    except TRANSIENT as exc:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later") from exc
