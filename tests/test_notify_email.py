"""E-mail through a REAL local SMTP server (aiosmtpd in a thread): plain, STARTTLS with login and a
self-signed certificate the client is told to trust, refused recipients, refused logins, no server."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lanshou.notifications.channels import ChannelConfigError
from lanshou.notifications.channels.email import EmailChannel, EmailSettings
from lanshou.notifications.model import ChannelKind, Message, Outcome

SUBJECT = "【揽收旗舰店】您的订单 TB1 已发货"


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; some addresses are full (452) or unknown (550)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("full@"):
            return "452 4.2.2 Mailbox full"
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl (Debian package openssl) is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def start(handler: Mailbox, **kwargs: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def plain_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = start(box)
    yield box, controller.port
    controller.stop()


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"shop", b"s3cret-pw")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    box = Mailbox()
    controller = start(
        box, tls_context=context, require_starttls=True, auth_required=True, authenticator=authenticate
    )
    yield box, controller.port
    controller.stop()


def mail(*recipients: str) -> Message:
    return Message(
        "7:TB1:55:order_shipped:email",
        ChannelKind.EMAIL,
        recipients,
        subject=SUBJECT,
        text="小明，您好：\n您的订单已发货。",
        html="<p>小明，您好：</p><p>您的订单已发货。</p>",
    )


def test_each_recipient_gets_its_own_multipart_utf8_mail_and_its_own_result(
    plain_server: tuple[Mailbox, int],
) -> None:
    box, port = plain_server
    settings = EmailSettings("127.0.0.1", "揽收旗舰店 <shop@lanshou.test>", port=port, security="none")
    recipients = ("a@buyer.test", "full@buyer.test", "nobody@buyer.test", "b@buyer.test")
    results = EmailChannel(settings).send(mail(*recipients))
    assert [(r.recipient, r.outcome, r.code) for r in results] == [
        ("a@buyer.test", Outcome.SENT, "250"),
        ("full@buyer.test", Outcome.RETRYABLE, "452"),
        ("nobody@buyer.test", Outcome.PERMANENT, "550"),
        ("b@buyer.test", Outcome.SENT, "250"),
    ]
    assert [envelope for envelope, _ in box.messages] == [["a@buyer.test"], ["b@buyer.test"]]
    _, first = box.messages[0]
    assert first["Subject"] == SUBJECT and first["To"] == "a@buyer.test"  # nobody sees the others
    assert first["From"].addresses[0].display_name == "揽收旗舰店"
    assert first["Message-ID"] == results[0].provider_id and results[0].provider_id.endswith("@lanshou.test>")
    assert first["X-Lanshou-Key"] == "7:TB1:55:order_shipped:email"
    assert first.get_content_type() == "multipart/alternative"
    plain = first.get_body(("plain",))
    html = first.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n").strip() == "小明，您好：\n您的订单已发货。"
    assert "<p>您的订单已发货。</p>" in html.get_content()


def test_the_subject_travels_rfc2047_encoded(plain_server: tuple[Mailbox, int]) -> None:
    box, port = plain_server
    EmailChannel(EmailSettings("127.0.0.1", "shop@lanshou.test", port=port, security="none")).send(
        mail("a@buyer.test")
    )
    raw = box.messages[0][1].as_bytes(policy=policy.SMTP)
    subject_line = raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0]
    assert subject_line.startswith(b"=?utf-8?") and subject_line.isascii()


def test_starttls_and_login_with_a_trusted_self_signed_certificate(
    tls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    box, port = tls_server
    settings = EmailSettings(
        "127.0.0.1",
        "shop@lanshou.test",
        port=port,
        username="shop",
        password="s3cret-pw",
        ca_file=str(certificate[0]),
    )
    results = EmailChannel(settings).send(mail("a@buyer.test"))
    assert results[0].outcome is Outcome.SENT and len(box.messages) == 1


def test_refused_login_untrusted_certificate_and_missing_starttls_are_permanent(
    tls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    box, port = tls_server
    ca = str(certificate[0])
    wrong = EmailSettings("127.0.0.1", "s@l.test", port=port, username="shop", password="nope", ca_file=ca)
    assert EmailChannel(wrong).send(mail("a@buyer.test"))[0].outcome is Outcome.PERMANENT
    untrusted = EmailSettings("127.0.0.1", "s@l.test", port=port, username="shop", password="s3cret-pw")
    result = EmailChannel(untrusted).send(mail("a@buyer.test"))[0]
    assert (result.outcome, result.code) == (Outcome.PERMANENT, "tls")
    cleartext = EmailSettings("127.0.0.1", "s@l.test", port=port, security="none")
    result = EmailChannel(cleartext).send(mail("a@buyer.test"))[0]
    assert result.outcome is Outcome.PERMANENT and result.code == "530"  # server insists on STARTTLS
    assert box.messages == []


def test_no_server_is_retryable_and_bad_settings_are_refused() -> None:
    settings = EmailSettings("127.0.0.1", "s@l.test", port=free_port(), security="none", timeout_seconds=2)
    result = EmailChannel(settings).send(mail("a@buyer.test", "b@buyer.test"))
    assert [r.outcome for r in result] == [Outcome.RETRYABLE, Outcome.RETRYABLE]
    with pytest.raises(ChannelConfigError, match="username and password"):
        EmailChannel(EmailSettings("h", "s@l.test", username="u"))
    with pytest.raises(ChannelConfigError, match="ASCII"):  # smtplib sends logins as ASCII
        EmailChannel(EmailSettings("h", "s@l.test", username="店铺", password="密码"))
    with pytest.raises(ChannelConfigError, match="host"):
        EmailChannel(EmailSettings("", "s@l.test"))


def test_implicit_tls_on_its_own_port(certificate: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    box = Mailbox()
    controller = start(box, ssl_context=context)
    try:
        settings = EmailSettings(
            "127.0.0.1", "s@l.test", port=controller.port, security="ssl", ca_file=str(certificate[0])
        )
        assert EmailChannel(settings).send(mail("a@buyer.test"))[0].outcome is Outcome.SENT
    finally:
        controller.stop()
    assert len(box.messages) == 1
