"""The local stand-in for SendGrid: what it refuses, what it keeps, and its scripted failures.

Its HTTP server is never started (nor even bound): `receive` is what the handler answers with.
"""

import copy
import json
import threading

import pytest

from infra import fake_sendgrid
from infra.fake_sendgrid import FakeSendGrid, mail_errors

VALID = {
    "personalizations": [{"to": [{"email": "dev@example.com"}, {"email": "qa@example.com"}]}],
    "from": {"email": "notifications@apkdrop.example.test", "name": "apkdrop"},
    "subject": "🚀 Mail App - Successfully Uploaded to apkdrop",
    "content": [
        {"type": "text/plain", "value": "Mail App 3.0"},
        {"type": "text/html", "value": "<p>Mail App 3.0</p>"},
    ],
}


def without(field: str) -> dict:
    payload = copy.deepcopy(VALID)
    del payload[field]
    return payload


def changed(**fields: object) -> dict:
    return {**copy.deepcopy(VALID), **fields}


class UnboundServer:
    """Takes ThreadingHTTPServer's place: no socket is bound, nothing is served."""

    def __init__(self, address: tuple[str, int], handler: type) -> None:
        self.server_address = (address[0], 40404)
        self.handler = handler

    def serve_forever(self) -> None:
        raise AssertionError("unit tests must not serve")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSendGrid:
    monkeypatch.setattr(fake_sendgrid, "ThreadingHTTPServer", UnboundServer)
    return FakeSendGrid()


def fail_next(fake: FakeSendGrid, status: int, count: int = 1) -> None:
    """What `POST /_control/failures {"status": …, "count": …}` does."""
    fake._failures.extend([status] * count)


# --- mail_errors ------------------------------------------------------------------------------


def test_a_valid_payload_has_no_errors() -> None:
    assert mail_errors(VALID) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (without("personalizations"), "personalizations"),
        (changed(personalizations=[]), "personalizations"),
        (changed(personalizations={"to": [{"email": "a@b.c"}]}), "personalizations"),
        (changed(personalizations=[{"to": [{"email": "not-an-address"}]}]), "personalizations.to"),
        (changed(personalizations=[{"to": [{"name": "No Address"}]}]), "personalizations.to"),
        (changed(personalizations=[{"to": []}]), "personalizations.to"),
        (changed(personalizations=[{}]), "personalizations.to"),
        (changed(personalizations=["dev@example.com"]), "personalizations.to"),
        (
            changed(personalizations=[{"to": [{"email": "a@b.c"}]}, {"to": [{"email": "x"}]}]),
            "personalizations.to",
        ),
        (without("from"), "from.email"),
        (changed(**{"from": {}}), "from.email"),
        (changed(**{"from": {"email": "apkdrop"}}), "from.email"),
        (without("subject"), "subject"),
        (changed(subject=""), "subject"),
        (without("content"), "content"),
        (changed(content=[]), "content"),
    ],
)
def test_a_malformed_payload_names_its_field(payload: dict, field: str) -> None:
    errors = mail_errors(payload)
    assert [error["field"] for error in errors] == [field]
    assert all(error["message"] for error in errors)


def test_every_problem_is_listed() -> None:
    fields = [error["field"] for error in mail_errors({})]
    assert fields == ["personalizations", "from.email", "subject", "content"]


@pytest.mark.parametrize("payload", [None, [], [VALID], "mail", 42, True])
def test_a_payload_that_is_not_an_object(payload: object) -> None:
    assert mail_errors(payload) == [{"field": None, "message": "Bad Request"}]


@pytest.mark.parametrize(
    "payload",
    [
        changed(**{"from": "notifications@apkdrop.example.test"}),
        changed(**{"from": {"email": None}}),
        changed(personalizations=[{"to": [{"email": 42}]}]),
    ],
    ids=["from-string", "from-email-null", "to-email-number"],
)
def test_wrongly_typed_fields_are_reported_not_raised(payload: dict) -> None:
    assert mail_errors(payload) != []


# --- receive ----------------------------------------------------------------------------------


def test_a_valid_mail_is_accepted_and_kept(fake: FakeSendGrid) -> None:
    assert fake.receive(json.dumps(VALID).encode()) == (202, None)
    assert fake.messages == [
        {
            "to": ["dev@example.com", "qa@example.com"],
            "from": "notifications@apkdrop.example.test",
            "subject": VALID["subject"],
            "html": "<p>Mail App 3.0</p>",
            "text": "Mail App 3.0",
        }
    ]


def test_messages_are_kept_in_order(fake: FakeSendGrid) -> None:
    for subject in ("first", "second", "third"):
        assert fake.receive(json.dumps(changed(subject=subject)).encode())[0] == 202
    assert [message["subject"] for message in fake.messages] == ["first", "second", "third"]


def test_each_personalization_is_kept_as_its_own_entry(fake: FakeSendGrid) -> None:
    payload = changed(
        personalizations=[{"to": [{"email": "a@example.com"}]}, {"to": [{"email": "b@x.y"}]}]
    )
    fake.receive(json.dumps(payload).encode())
    assert [message["to"] for message in fake.messages] == [["a@example.com"], ["b@x.y"]]
    assert {message["subject"] for message in fake.messages} == {VALID["subject"]}


def one_each(count: int) -> list[dict]:
    return [{"to": [{"email": f"user{n}@example.com"}]} for n in range(count)]


def test_a_thousand_personalizations_are_accepted() -> None:
    assert mail_errors(changed(personalizations=one_each(1000))) == []


@pytest.mark.parametrize(
    "personalizations",
    [
        one_each(1001),
        [{"to": [{"email": f"user{n}@example.com"} for n in range(1001)]}],
        [{"to": [{"email": "a@example.com"}]}, {"to": [{"email": "A@example.com"}]}],
        [{"to": [{"email": "a@example.com"}, {"email": "a@example.com"}]}],
    ],
    ids=["1001-personalizations", "1001-in-one", "same-address-twice", "twice-in-one"],
)
def test_sendgrid_limits_on_recipients(personalizations: list) -> None:
    fields = [error["field"] for error in mail_errors(changed(personalizations=personalizations))]
    assert fields == ["personalizations"]


def test_a_part_missing_is_kept_empty(fake: FakeSendGrid) -> None:
    payload = changed(content=[{"type": "text/plain", "value": "only text"}])
    assert fake.receive(json.dumps(payload).encode()) == (202, None)
    assert (fake.messages[0]["text"], fake.messages[0]["html"]) == ("only text", "")


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b"[]", b"null", json.dumps(without("subject")).encode()],
    ids=["empty", "text", "truncated", "array", "null", "no-subject"],
)
def test_a_malformed_mail_is_a_400_with_errors(fake: FakeSendGrid, body: bytes) -> None:
    status, answer = fake.receive(body)
    assert status == 400
    assert answer["errors"] and all("message" in error for error in answer["errors"])
    assert fake.messages == []


def test_the_400_names_what_is_wrong(fake: FakeSendGrid) -> None:
    status, answer = fake.receive(json.dumps(without("content")).encode())
    assert (status, answer) == (
        400,
        {"errors": [{"field": "content", "message": "a list of {type, value} is required"}]},
    )


def test_queued_failures_are_answered_in_order_then_mail_goes_through(
    fake: FakeSendGrid,
) -> None:
    body = json.dumps(VALID).encode()
    fail_next(fake, 429, count=2)
    fail_next(fake, 500)
    answers = [fake.receive(body) for _ in range(4)]
    assert [status for status, _ in answers] == [429, 429, 500, 202]
    assert answers[0][1] == {"errors": [{"message": "simulated 429"}]}
    assert answers[2][1] == {"errors": [{"message": "simulated 500"}]}
    assert len(fake.messages) == 1


def test_a_queued_failure_answers_even_a_malformed_mail(fake: FakeSendGrid) -> None:
    fail_next(fake, 503)
    assert fake.receive(b"not json")[0] == 503
    assert fake.receive(b"not json")[0] == 400


def test_concurrent_receives_keep_every_message(fake: FakeSendGrid) -> None:
    bodies = [json.dumps(changed(subject=f"mail {n}")).encode() for n in range(40)]
    threads = [threading.Thread(target=fake.receive, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(message["subject"] for message in fake.messages) == sorted(
        f"mail {n}" for n in range(40)
    )


@pytest.mark.parametrize(
    "content",
    ["<p>hi</p>", [{"type": "text/plain"}], ["text/plain"]],
    ids=["string", "part-without-value", "part-not-object"],
)
def test_malformed_content_is_a_400(fake: FakeSendGrid, content: object) -> None:
    assert fake.receive(json.dumps(changed(content=content)).encode())[0] == 400
    assert fake.messages == []


def test_url_is_on_loopback(fake: FakeSendGrid) -> None:
    assert fake.url == "http://127.0.0.1:40404"
