"""Sending one notification to the outside world: SMTP e-mail or an HMAC-signed webhook POST.

Failures that may pass (network, 5xx, 408, 429, SMTP 4xx) raise :class:`DeliveryFailed`, so the
queue retries the job; a receiver that refuses for good (other 4xx, SMTP 5xx) raises
``PermanentError``.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import httpx
import orjson

from orderflow.config import Settings
from orderflow.kit.signing import sign
from orderflow.notifications.errors import DeliveryFailed
from orderflow.workers.errors import PermanentError

SIGNATURE_HEADER = "Orderflow-Signature"
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def send_email(settings: Settings, *, to: str, subject: str, text: str, message_id: str) -> None:
    if not settings.smtp_host:
        raise PermanentError("SMTP is not configured (ORDERFLOW_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}@orderflow>"
    message.set_content(text)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.webhook_timeout_seconds
        ) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(f"SMTP refused the message: {exc.smtp_code}") from exc
        raise DeliveryFailed(f"SMTP answered {exc.smtp_code}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"SMTP refused the recipient {to}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP unreachable: {exc}") from exc


def post_webhook(
    settings: Settings, *, url: str, secret: str | None, payload: dict[str, object]
) -> None:
    if not secret:
        raise PermanentError("the webhook target has no secret to sign with")
    body = orjson.dumps(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "orderflow-notifications",
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook unreachable: {exc}") from exc
    if response.is_success:
        return
    if 400 <= response.status_code < 500 and response.status_code not in RETRYABLE_STATUSES:
        raise PermanentError(f"webhook refused the notification: HTTP {response.status_code}")
    raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")
