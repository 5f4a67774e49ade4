"""E-mail over SMTP (smtplib): multipart text + HTML, UTF-8 subjects, one message per recipient so buyers
never see each other's addresses. STARTTLS (587), implicit TLS (465) or plain (local relays only).

SMTP replies decide the outcome: 4xx is temporary (retryable), 5xx permanent; a refused login or a server
without STARTTLS when it was asked for is permanent (we never fall back to sending a password in clear).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Literal

from lanshou.notifications.channels.base import ChannelConfigError, check_message, require
from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome, results_for_all

KEY_HEADER = "X-Lanshou-Key"


@dataclass(frozen=True)
class EmailSettings:
    host: str
    sender: str  # "揽收旗舰店 <shop@example.com>"
    port: int = 587
    username: str = ""
    password: str = ""
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout_seconds: float = 15.0
    ca_file: str | None = None  # trust this CA too (a relay with its own certificate)


def build_email(settings: EmailSettings, message: Message, recipient: str) -> EmailMessage:
    """One recipient's e-mail: text part, plus an HTML alternative when the message has one."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.sender
    mail["To"] = recipient
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or None
    mail["Message-ID"] = make_msgid(domain=domain)
    if message.key:
        mail[KEY_HEADER] = message.key
    mail.set_content(message.text or " ", charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


def outcome_for_code(code: int) -> Outcome:
    return Outcome.RETRYABLE if 400 <= code < 500 else Outcome.PERMANENT


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


class EmailChannel:
    kind = ChannelKind.EMAIL

    def __init__(self, settings: EmailSettings) -> None:
        require(settings, "host", "sender", "port")
        if settings.security not in ("starttls", "ssl", "none"):
            raise ChannelConfigError(f"未知加密方式 unknown SMTP security {settings.security!r}")
        if bool(settings.username) != bool(settings.password):
            raise ChannelConfigError("SMTP username and password go together")
        if not (settings.username + settings.password).isascii():
            raise ChannelConfigError(
                "SMTP 用户名和密码须为 ASCII: username and password must be ASCII (smtplib)"
            )
        self.settings = settings

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def connect(self) -> smtplib.SMTP:
        """Open, secure and log in (the only network setup)."""
        s = self.settings
        smtp: smtplib.SMTP
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=self._tls_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: Message) -> list[DeliveryResult]:
        check_message(message, self.kind)
        try:
            smtp = self.connect()
        except smtplib.SMTPAuthenticationError as exc:
            return results_for_all(message.recipients, Outcome.PERMANENT, str(exc.smtp_code), "login refused")
        except smtplib.SMTPNotSupportedError as exc:
            return results_for_all(message.recipients, Outcome.PERMANENT, "starttls", str(exc))
        except ssl.SSLError as exc:
            return results_for_all(message.recipients, Outcome.PERMANENT, "tls", str(exc))
        except smtplib.SMTPResponseException as exc:
            return results_for_all(
                message.recipients, outcome_for_code(exc.smtp_code), str(exc.smtp_code), _text(exc.smtp_error)
            )
        except (OSError, smtplib.SMTPException) as exc:
            return results_for_all(
                message.recipients, Outcome.RETRYABLE, "connect", f"{type(exc).__name__}: {exc}"
            )
        try:
            return self._send_each(smtp, message)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _send_each(self, smtp: smtplib.SMTP, message: Message) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        for index, recipient in enumerate(message.recipients):
            mail = build_email(self.settings, message, recipient)
            message_id = str(mail["Message-ID"])
            try:
                smtp.send_message(mail, to_addrs=[recipient])
                results.append(DeliveryResult(recipient, Outcome.SENT, message_id, "250"))
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(recipient, (550, b"refused"))
                results.append(DeliveryResult(recipient, outcome_for_code(code), "", str(code), _text(reply)))
                _reset(smtp)
            except smtplib.SMTPResponseException as exc:  # sender refused, data refused
                code = exc.smtp_code
                results.append(
                    DeliveryResult(recipient, outcome_for_code(code), "", str(code), _text(exc.smtp_error))
                )
                _reset(smtp)
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                rest = message.recipients[index:]
                problem = f"{type(exc).__name__}: {exc}"
                return results + results_for_all(rest, Outcome.RETRYABLE, "disconnected", problem)
        return results


def _reset(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):  # the next send reports a broken link
        smtp.rset()
