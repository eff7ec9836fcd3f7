"""E-mail delivery over SMTP, and the record of every message in the warehouse.

Settings come from the environment (config.py has no smtp section):

    HALLMONITOR_SMTP_HOST      server name; unset means "no e-mail configured"
    HALLMONITOR_SMTP_PORT      default 587 for starttls, 465 for ssl, 25 for none
    HALLMONITOR_SMTP_SECURITY  starttls (default) | ssl | none
    HALLMONITOR_SMTP_USER      optional login
    HALLMONITOR_SMTP_PASSWORD  optional password (never logged, never stored)
    HALLMONITOR_SMTP_FROM      the From address (required when HOST is set)

A login is only sent over TLS, except to a server on the loopback interface (a local relay).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

import duckdb

from warehouse.archive import record_delivery

Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class DeliveryConfigError(ValueError):
    """The SMTP settings in the environment cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        env = os.environ if env is None else env
        host = env.get("HALLMONITOR_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("HALLMONITOR_SMTP_SECURITY", "starttls").strip().lower()
        if security not in DEFAULT_PORTS:
            raise DeliveryConfigError("HALLMONITOR_SMTP_SECURITY: expected starttls, ssl or none, "
                                      f"got {security!r}")
        port_text = env.get("HALLMONITOR_SMTP_PORT", "").strip()
        if port_text and not port_text.isdigit():
            raise DeliveryConfigError(f"HALLMONITOR_SMTP_PORT: not a port number: {port_text!r}")
        sender = env.get("HALLMONITOR_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise DeliveryConfigError("HALLMONITOR_SMTP_FROM: an e-mail address is required")
        user = env.get("HALLMONITOR_SMTP_USER") or None
        settings = cls(host, int(port_text) if port_text else DEFAULT_PORTS[security],
                       security, sender, user, env.get("HALLMONITOR_SMTP_PASSWORD") or None)  # type: ignore[arg-type]
        if user and security == "none" and not _is_loopback(host):
            raise DeliveryConfigError("HALLMONITOR_SMTP_SECURITY=none with a login: the password "
                                      "would cross the network in clear text; use starttls or ssl")
        return settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    def describe(self) -> dict[str, object]:
        return {"filename": self.filename, "content_type": self.content_type,
                "bytes": len(self.data), "sha256": hashlib.sha256(self.data).hexdigest()}


@dataclass(frozen=True)
class Outgoing:
    """One message to one person, with what the archive needs to know about it."""

    report_id: str
    monitor_id: str
    role: str
    recipient: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Sent:
    outgoing: Outgoing
    message_id: str
    sent_at: datetime
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def build_message(settings: SmtpSettings, item: Outgoing, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = item.recipient
    message["Subject"] = item.subject
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    message["Message-ID"] = make_msgid("hallmonitor", domain=settings.sender.rsplit("@", 1)[1])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(item.text)
    if item.html:
        message.add_alternative(item.html, subtype="html")
    for attachment in item.attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename)
    return message


def _open(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port,
                                                timeout=settings.timeout, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            server.starttls(context=context)
    if settings.user:
        server.login(settings.user, settings.password or "")
    return server


def send_all(settings: SmtpSettings, items: list[Outgoing], now: datetime) -> list[Sent]:
    """Send each message over one connection; a refused recipient fails that message only.
    A connection or login failure raises: nothing could be sent, and the flow must fail loudly."""
    results = []
    with _open(settings) as server:
        for item in items:
            message = build_message(settings, item, now)
            try:
                server.send_message(message)
                results.append(Sent(item, str(message["Message-ID"]), now))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused) as exc:
                results.append(Sent(item, str(message["Message-ID"]), now,
                                    error=f"{type(exc).__name__}: {exc}"))
    return results


def record(con: duckdb.DuckDBPyConnection, district_id: str, results: list[Sent]) -> None:
    """Archive what was sent to whom, when, and under which Message-ID."""
    for result in results:
        item = result.outgoing
        record_delivery(
            con, report_id=item.report_id, district_id=district_id, monitor_id=item.monitor_id,
            recipient=item.recipient, role=item.role, subject=item.subject,
            message_id=result.message_id, attachments=[a.describe() for a in item.attachments],
            status="sent" if result.ok else "failed", error=result.error, sent_at=result.sent_at)
