"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

Plain, STARTTLS (``require_starttls``) or implicit TLS (the listening socket wrapped in an
SSL context), optionally with AUTH LOGIN/PLAIN checked against a user table. `make_pki`
writes a throwaway CA and a server certificate for 127.0.0.1/localhost.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.backends.postgres import free_port

Security = Literal["none", "starttls", "tls"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message
    tls_version: str | None
    """The TLS version of the connection the message came over; None for cleartext."""
    login: str | None
    """The user the session authenticated as, if any."""


def _tls_version(server: Any) -> str | None:
    transport = getattr(server, "transport", None)
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    return ssl_object.version() if ssl_object is not None else None


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        auth = session.auth_data
        with self.arrived:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos),
                         message_from_bytes(envelope.original_content), _tls_version(server),
                         auth.login.decode() if isinstance(auth, LoginPassword) else None)
            )
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
                self.arrived.wait(left)
            return list(self.messages)


@dataclass(frozen=True)
class AuthAttempt:
    mechanism: str
    login: str
    success: bool
    tls_version: str | None


@dataclass
class Authenticator:
    """aiosmtpd's authenticator callback: checks LOGIN/PLAIN against `users`, records tries."""

    users: dict[str, str]
    attempts: list[AuthAttempt] = field(default_factory=list)

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        success = self.users.get(login) == password
        self.attempts.append(AuthAttempt(mechanism, login, success, _tls_version(server)))
        return AuthResult(success=success, handled=False, auth_data=auth_data)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox
    controller: Controller
    security: Security = "none"
    authenticator: Authenticator | None = None


@dataclass(frozen=True)
class Pki:
    """PEM files and text of a throwaway CA and a server certificate it issued."""

    ca_pem: str
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.server_cert, self.server_key)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def make_pki(directory: Path, *, names: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Pki:
    """A CA and a server certificate for `names` (IP addresses or DNS names) under it."""
    ca, ca_key = make_ca("dynamicjobs test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    alternative_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alternative_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative_names.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0])).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_text(pem(certificate))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    key_path.chmod(0o600)
    return Pki(pem(ca), cert_path, key_path)


def start_smtp(
    security: Security = "none",
    pki: Pki | None = None,
    users: dict[str, str] | None = None,
    auth_exclude_mechanism: tuple[str, ...] = (),
) -> SmtpServer:
    """Start a server; with `users`, AUTH is required before MAIL."""
    mailbox = Mailbox()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if security != "none":
        if pki is None:
            raise ValueError(f"security {security} needs a Pki")
        if security == "starttls":
            kwargs.update(tls_context=pki.server_context(), require_starttls=True)
        else:
            kwargs.update(ssl_context=pki.server_context())
    authenticator = None
    if users is not None:
        authenticator = Authenticator(users)
        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_exclude_mechanism=list(auth_exclude_mechanism))
        if security == "tls":
            # aiosmtpd only counts STARTTLS as TLS for AUTH; with implicit TLS every byte
            # is already encrypted, which the tests check through the recorded TLS version.
            kwargs["auth_require_tls"] = False
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return SmtpServer("127.0.0.1", port, mailbox, controller, security, authenticator)
