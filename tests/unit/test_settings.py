"""Settings come from the environment and refuse to start a misconfigured function."""

import pytest
from pydantic import ValidationError

from apkdrop.settings import ONE_GIB
from tests.fakes import AllSettings


def test_the_minimal_environment_is_valid() -> None:
    settings = AllSettings()
    assert settings.upload_bucket == "apkdrop-test-uploads"
    assert settings.max_upload_bytes == ONE_GIB
    assert str(settings.signed_url_endpoint) == "https://storage.googleapis.com/"
    assert settings.firestore_emulator_host is None
    assert settings.signing_service_account_email is None


@pytest.mark.parametrize(
    "variable", ["UPLOAD_BUCKET", "GOOGLE_CLOUD_PROJECT", "REGION", "UPLOAD_EXPIRY_URL"]
)
def test_a_missing_required_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv(variable)
    with pytest.raises(ValidationError) as raised:
        AllSettings()
    assert [error["loc"] for error in raised.value.errors()] == [(variable.lower(),)]


def test_both_signing_options_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNING_SERVICE_ACCOUNT_EMAIL", "sa@p.iam.gserviceaccount.com")
    with pytest.raises(ValidationError, match="SIGNING_CREDENTIALS_FILE"):
        AllSettings()


@pytest.mark.parametrize("blank", [None, ""])
def test_neither_signing_option_is_refused(
    monkeypatch: pytest.MonkeyPatch, blank: str | None
) -> None:
    if blank is None:
        monkeypatch.delenv("SIGNING_CREDENTIALS_FILE")
    else:
        monkeypatch.setenv("SIGNING_CREDENTIALS_FILE", blank)
    with pytest.raises(ValidationError, match="SIGNING_CREDENTIALS_FILE"):
        AllSettings()


def test_production_signs_through_iam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNING_CREDENTIALS_FILE")
    monkeypatch.setenv("SIGNING_SERVICE_ACCOUNT_EMAIL", "sa@p.iam.gserviceaccount.com")
    assert AllSettings().signing_service_account_email == "sa@p.iam.gserviceaccount.com"


def test_queue_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj-1")
    monkeypatch.setenv("REGION", "us-central1")
    monkeypatch.setenv("UPLOAD_EXPIRY_QUEUE", "expiry")
    assert (
        AllSettings().queue_path("expiry") == "projects/proj-1/locations/us-central1/queues/expiry"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("UPLOAD_URL_TTL_SECONDS", str(7 * 24 * 3600 + 1)),
        ("UPLOAD_URL_TTL_SECONDS", "0"),
        ("MAX_UPLOAD_BYTES", "-1"),
        ("MAX_EVENT_AGE_SECONDS", "soon"),
        ("UPLOAD_EXPIRY_URL", "not a url"),
        ("UPLOAD_BUCKET", "ab"),
    ],
)
def test_out_of_range_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        AllSettings()
    assert raised.value.errors()[0]["loc"] == (variable.lower(),)


def test_numbers_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPLOAD_URL_TTL_SECONDS", "900")
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "2048")
    settings = AllSettings()
    assert (settings.upload_url_ttl_seconds, settings.max_upload_bytes) == (900, 2048)


def test_settings_are_frozen() -> None:
    settings = AllSettings()
    with pytest.raises(ValidationError):
        settings.upload_bucket = "other"
