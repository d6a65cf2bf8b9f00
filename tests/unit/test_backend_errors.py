"""backend_call: what an adapter's failure becomes."""

import pytest
from google.api_core import exceptions as api_exceptions

from apkdrop.adapters.errors import backend_call
from apkdrop.errors import BackendUnavailable


@backend_call("Firestore")
def failing(error: Exception) -> None:
    raise error


def lost_every_attempt() -> ValueError:
    """What google-cloud-firestore's transactional decorator raises after max_attempts."""
    try:
        raise api_exceptions.Aborted("Transaction lock timeout.")
    except api_exceptions.Aborted as aborted:
        error = ValueError("Failed to commit transaction in 20 attempts.")
        error.__cause__ = aborted
        return error


def test_a_backend_error_is_retryable() -> None:
    with pytest.raises(BackendUnavailable, match="Firestore is unavailable"):
        failing(api_exceptions.ServiceUnavailable("down"))


def test_a_transaction_that_lost_every_attempt_to_contention_is_retryable() -> None:
    """Found by test_a_sweep_racing_uploads_keeps_every_upload_whole: the sweep answered 500."""
    with pytest.raises(BackendUnavailable, match="Firestore is busy"):
        failing(lost_every_attempt())


def test_any_other_value_error_is_a_bug_and_stays_one() -> None:
    with pytest.raises(ValueError, match="a bug"):
        failing(ValueError("a bug"))
