"""SendGrid: sending one rendered email, and telling a retryable refusal from a final one."""

import http.client

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Content, Mail, Personalization, To

from apkdrop.errors import BackendUnavailable
from apkdrop.notifications.models import RenderedEmail
from apkdrop.notifications.ports import MailRefused

# Each connect and read of a send (the client has none: it would wait forever). Well within
# the delivery's SEND_LEASE, so no second worker sends while the first still waits.
TIMEOUT_SECONDS = 20


class SendGridMailer:
    def __init__(self, api_key: str, host: str, sender: str) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host.rstrip("/"))
        self._client.client.timeout = TIMEOUT_SECONDS  # every request's client inherits it
        self._sender = sender

    def send(self, email: RenderedEmail) -> None:
        """Raises BackendUnavailable for 429, 5xx and network failures, MailRefused for the rest.

        One message, one personalization per recipient: each sees only their own address.
        """
        message = Mail(from_email=self._sender, subject=email.subject)
        for index, address in enumerate(email.to):
            personalization = Personalization()
            personalization.add_to(To(address))
            message.add_personalization(personalization, index)  # keeps the recipients' order
        message.add_content(Content("text/plain", email.text))
        message.add_content(Content("text/html", email.html))
        try:
            self._client.send(message)
        except http_errors.HTTPError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                raise BackendUnavailable(
                    f"SendGrid answered {exc.status_code}, retry later"
                ) from exc
            raise MailRefused(f"SendGrid refused the message ({exc.status_code})") from exc
        # URLError and SSL errors are OSErrors; a reply cut short is an HTTPException.
        except (OSError, http.client.HTTPException) as exc:
            raise BackendUnavailable("SendGrid is unreachable, retry later") from exc
