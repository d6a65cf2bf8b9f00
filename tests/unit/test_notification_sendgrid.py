"""SendGridMailer: the v3 message it builds, and which failures a retry may fix.

Errors are raised two ways: straight from `SendGridAPIClient.send`, and from urllib under the
real client (so python_http_client's own mapping of an HTTP status is exercised too). No socket
is ever opened: `OpenerDirector.open` is replaced.
"""

import email.message
import http.client
import io
import json
import ssl
import urllib.error
import urllib.request
import urllib.response

import pytest
import sendgrid
from python_http_client import exceptions as http_errors

from apkdrop.adapters.sendgrid_mail import SendGridMailer
from apkdrop.errors import BackendUnavailable
from apkdrop.notifications.delivery import SEND_LEASE
from apkdrop.notifications.models import RenderedEmail
from apkdrop.notifications.ports import MailRefused
from apkdrop.settings import SENDGRID_MAX_PERSONALIZATIONS
from infra.fake_sendgrid import mail_errors

HOST = "https://sendgrid.example.test/"
SENDER = "apkdrop <notifications@apkdrop.example.test>"
EMAIL = RenderedEmail(
    to=["dev@example.com", "qa@example.com", "lead@example.com"],
    subject="🚀 Mail App - Successfully Uploaded to apkdrop",
    html="<p>Mail App <b>3.0</b></p>",
    text="Mail App 3.0\n",
)


def mailer() -> SendGridMailer:
    return SendGridMailer("SG.test-key", HOST, SENDER)


def http_error(kind: type[http_errors.HTTPError], status: int) -> http_errors.HTTPError:
    return kind(status, "reason", b'{"errors": [{"message": "x"}]}', {})


class Transport:
    """Replaces `OpenerDirector.open`: records each request and answers or raises in turn."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[urllib.request.Request] = []

    def open(self, request: urllib.request.Request, *args, **kwargs):
        """Installed as a bound method, so the opener is not passed."""
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if answer >= 400:
            body = io.BytesIO(b'{"errors": [{"message": "simulated"}]}')
            raise urllib.error.HTTPError(request.full_url, answer, "simulated", {}, body)
        return urllib.response.addinfourl(
            io.BytesIO(b""), email.message.Message(), request.full_url, code=answer
        )

    def payload(self, index: int = -1) -> dict:
        return json.loads(self.requests[index].data)


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> Transport:
    fake = Transport()
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", fake.open)
    return fake


# --- errors raised by the SendGrid client -----------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        http_error(http_errors.TooManyRequestsError, 429),
        http_error(http_errors.InternalServerError, 500),
        http_error(http_errors.HTTPError, 502),
        http_error(http_errors.ServiceUnavailableError, 503),
        http_error(http_errors.GatewayTimeoutError, 504),
        urllib.error.URLError("Name or service not known"),
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
        TimeoutError("The read operation timed out"),
        OSError(110, "Connection timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=["429", "500", "502", "503", "504", "dns", "refused", "timeout", "etimedout", "reset"],
)
def test_retryable_failures_are_a_backend_outage(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def send(self, message):
        raise error

    monkeypatch.setattr(sendgrid.SendGridAPIClient, "send", send)
    with pytest.raises(BackendUnavailable) as caught:
        mailer().send(EMAIL)
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [
        http_error(http_errors.BadRequestsError, 400),
        http_error(http_errors.UnauthorizedError, 401),
        http_error(http_errors.ForbiddenError, 403),
        http_error(http_errors.PayloadTooLargeError, 413),
    ],
    ids=["400", "401", "403", "413"],
)
def test_other_client_errors_are_refusals(
    monkeypatch: pytest.MonkeyPatch, error: http_errors.HTTPError
) -> None:
    def send(self, message):
        raise error

    monkeypatch.setattr(sendgrid.SendGridAPIClient, "send", send)
    with pytest.raises(MailRefused) as caught:
        mailer().send(EMAIL)
    assert str(error.status_code) in str(caught.value)
    assert caught.value.__cause__ is error
    assert not isinstance(caught.value, BackendUnavailable)


@pytest.mark.parametrize(
    "error",
    [
        http.client.IncompleteRead(b"{"),
        http.client.BadStatusLine(""),
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
    ],
    ids=["incomplete-read", "bad-status-line", "ssl-eof"],
)
def test_a_connection_broken_mid_answer_is_a_backend_outage(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def send(self, message):
        raise error

    monkeypatch.setattr(sendgrid.SendGridAPIClient, "send", send)
    with pytest.raises(BackendUnavailable):
        mailer().send(EMAIL)


# --- the same, through the real client over a replaced urllib ---------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_through_the_client(transport: Transport, status: int) -> None:
    transport.answers.append(status)
    with pytest.raises(BackendUnavailable, match=str(status)):
        mailer().send(EMAIL)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 415])
def test_final_statuses_through_the_client(transport: Transport, status: int) -> None:
    transport.answers.append(status)
    with pytest.raises(MailRefused, match=str(status)):
        mailer().send(EMAIL)


def test_unreachable_sendgrid_through_the_client(transport: Transport) -> None:
    transport.answers.append(urllib.error.URLError(OSError("Network is unreachable")))
    with pytest.raises(BackendUnavailable):
        mailer().send(EMAIL)


def test_a_sendgrid_that_never_answers_is_an_outage_not_a_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a timeout a socket waits forever: past SEND_LEASE another worker would send the
    # email a second time, and the function's own timeout would end the first one.
    def silent(self, request: urllib.request.Request, *args, timeout=None, **kwargs):
        if timeout is None or timeout > SEND_LEASE.total_seconds():
            raise AssertionError(f"waited for SendGrid with timeout={timeout}")
        raise TimeoutError("The read operation timed out")  # what the socket raises at it

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", silent)
    with pytest.raises(BackendUnavailable):
        mailer().send(EMAIL)


def test_accepted_mail_raises_nothing(transport: Transport) -> None:
    transport.answers.append(202)
    mailer().send(EMAIL)
    assert len(transport.requests) == 1


# --- the message ------------------------------------------------------------------------------


def test_request_goes_to_the_configured_host_with_the_key(transport: Transport) -> None:
    transport.answers.append(202)
    mailer().send(EMAIL)
    (request,) = transport.requests
    assert request.get_method() == "POST"
    assert request.full_url == "https://sendgrid.example.test/v3/mail/send"
    assert request.get_header("Authorization") == "Bearer SG.test-key"


def test_message_has_sender_recipients_subject_and_both_parts(transport: Transport) -> None:
    transport.answers.append(202)
    mailer().send(EMAIL)
    payload = transport.payload()
    assert payload["from"] == {"email": "notifications@apkdrop.example.test", "name": "apkdrop"}
    # One personalization per recipient, in order: nobody sees another recipient's address.
    assert payload["personalizations"] == [{"to": [{"email": address}]} for address in EMAIL.to]
    assert payload["subject"] == EMAIL.subject
    # SendGrid wants text/plain before text/html.
    assert payload["content"] == [
        {"type": "text/plain", "value": EMAIL.text},
        {"type": "text/html", "value": EMAIL.html},
    ]


def test_message_built_is_one_the_fake_sendgrid_accepts(transport: Transport) -> None:
    transport.answers.append(202)
    mailer().send(EMAIL)
    assert mail_errors(transport.payload()) == []


def test_message_from_a_plain_sender_address(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict] = []
    monkeypatch.setattr(
        sendgrid.SendGridAPIClient, "send", lambda self, message: sent.append(message.get())
    )
    SendGridMailer("SG.k", HOST, "noreply@example.test").send(
        EMAIL.model_copy(update={"to": ["only@example.com"]})
    )
    (message,) = sent
    assert message["from"] == {"email": "noreply@example.test"}
    assert message["personalizations"] == [{"to": [{"email": "only@example.com"}]}]


def test_one_message_per_send_with_one_personalization_per_recipient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[object] = []
    monkeypatch.setattr(sendgrid.SendGridAPIClient, "send", lambda self, m: sent.append(m))
    mailer().send(EMAIL)
    (message,) = sent
    assert isinstance(message, sendgrid.Mail)
    personalizations = message.get()["personalizations"]
    assert [len(p["to"]) for p in personalizations] == [1, 1, 1]
    assert all(set(p) == {"to"} for p in personalizations)  # no cc or bcc either


def test_as_many_recipients_as_the_cap_make_a_message_sendgrid_accepts(
    transport: Transport,
) -> None:
    transport.answers.append(202)
    many = [f"user{n}@example.com" for n in range(SENDGRID_MAX_PERSONALIZATIONS)]
    mailer().send(EMAIL.model_copy(update={"to": many}))
    payload = transport.payload()
    assert [p["to"][0]["email"] for p in payload["personalizations"]] == many
    assert mail_errors(payload) == []
