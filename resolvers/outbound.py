"""Outbound channels, one small interface each: e-mail over SMTP and SMS through the gateway.

Tests point these at real peers on loopback (aiosmtpd, a small HTTP server) by settings only.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib
import httpx

from settings import Settings

log = logging.getLogger("studygate.outbound")


class DeliveryError(RuntimeError):
    """The peer refused or could not be reached; the message was not delivered."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        s = self.settings
        try:
            await aiosmtplib.send(
                message, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
                password=s.smtp_password, start_tls=s.smtp_starttls, timeout=15,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.error("mail to %s failed: %s", to.split("@")[-1], type(exc).__name__)
            raise DeliveryError("The e-mail could not be sent; try again later.") from exc


class SmsGateway:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.sms_gateway_url
        self.token = settings.sms_gateway_token

    async def send(self, to: str, text: str) -> None:
        if not self.url:
            # Development without a gateway: the message goes to the log (HTTP.md).
            log.warning("SMS to %s: %s", to, text)
            return
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with httpx.AsyncClient(timeout=15) as client:
                response = await client.post(self.url, json={"to": to, "text": text}, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError("The text message could not be sent; try again later.") from exc
        if not response.is_success:
            raise DeliveryError("The text message could not be sent; try again later.")


class Outbound:
    """Every outbound channel of one server."""

    def __init__(self, settings: Settings) -> None:
        self.mail = Mailer(settings)
        self.sms = SmsGateway(settings)
