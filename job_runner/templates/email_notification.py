"""email-notification: send one plain-text email through an SMTP server."""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    model_validator,
)

from job_runner.api.status import RUN_VALUES
from job_runner.template import RunContext, SecretRef, Template, TemplateError
from job_runner.toolkit.netpolicy import AddressPolicy
from job_runner.toolkit.smtp_client import CheckedSMTP, CheckedSMTPSSL
from job_runner.toolkit.unicode import ValidText

_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
)
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")
_HOST = r"^[A-Za-z0-9_.:-]{1,253}$"
_PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
_X509_NAME_MISMATCHES = (62, 63, 64)  # X509_V_ERR_{HOSTNAME,EMAIL,IP_ADDRESS}_MISMATCH


def _no_line_breaks(value: str) -> str:
    """Refuse every line boundary Python knows (CR, LF, VT, FF, NEL, U+2028, ...) and NUL."""
    if "\x00" in value or len(value.splitlines()) > 1 or value.endswith(("\r", "\n")):
        raise ValueError("must not contain line breaks or NUL (header injection)")
    return value


def _address(value: str) -> str:
    _no_line_breaks(value)
    if not _ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not a plain email address like name@example.com")
    return value


def _pem_certificates(value: str) -> str:
    if "PRIVATE KEY" in value:
        raise ValueError("contains a private key: give only the CA certificate(s)")
    if _PEM_CERTIFICATE not in value:
        raise ValueError(f"must be PEM text starting with {_PEM_CERTIFICATE}")
    try:
        ssl.create_default_context(cadata=value)
    except (ssl.SSLError, ValueError) as error:
        raise ValueError(f"is not a readable PEM certificate: {error}") from None
    return value


Address = Annotated[str, Field(max_length=320), AfterValidator(_address)]
HeaderText = Annotated[str, AfterValidator(_no_line_breaks)]
PemCertificates = Annotated[str, Field(max_length=32_768), AfterValidator(_pem_certificates)]


def fill_placeholders(text: str, values: dict[str, Any]) -> str:
    """Replace ``{name}`` with ``values[name]``; ``{{`` and ``}}`` are literal braces.

    Only plain names are looked up: no attribute access, indexing or format specs, so user
    text can never reach into objects the way ``str.format`` would.
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        name = match.group(1)
        if name not in values:
            raise ValueError(f"placeholder {{{name}}} has no entry in values")
        value = values[name]
        return str(value).lower() if isinstance(value, bool) else str(value)

    return _PLACEHOLDER.sub(substitute, text)


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str = Field(pattern=_HOST, description="SMTP server host.", examples=["smtp.example.com"])
    port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (implicit, 465) or none."
    )
    username: HeaderText | None = Field(default=None, max_length=256, description="Login name.")
    password: SecretRef | None = Field(default=None, description="Secret holding the password.")
    ca_certificate: SecretRef | PemCertificates | None = Field(
        default=None, alias="caCertificate",
        description="CA certificate(s) that issued the server's certificate, as PEM text or a "
        "secretRef to a Secret key holding PEM (e.g. cert-manager's ca.crt). When set, only "
        "these CAs are trusted; when unset, the system's CA store. The server's certificate "
        "and host name are always verified.",
    )
    timeout_seconds: float = Field(
        default=30, gt=0, le=300, alias="timeoutSeconds", description="Network timeout."
    )

    @model_validator(mode="after")
    def _no_cleartext_password(self) -> SmtpSettings:
        if self.password is not None and self.security == "none":
            raise ValueError("a password needs security starttls or tls")
        if self.ca_certificate is not None and self.security == "none":
            raise ValueError("caCertificate needs security starttls or tls")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together: give both or neither")
        return self

    def ssl_context(self, ctx: RunContext) -> ssl.SSLContext:
        """Certificate and host-name verification against caCertificate or the system store."""
        if self.ca_certificate is None:
            return ssl.create_default_context()
        if isinstance(self.ca_certificate, SecretRef):
            pem = ctx.secrets(self.ca_certificate)
            try:
                return ssl.create_default_context(cadata=pem)
            except (ssl.SSLError, ValueError) as error:
                raise TemplateError(
                    f"smtp.caCertificate ({self.ca_certificate.describe()}) is not a readable "
                    f"PEM certificate: {error}"
                ) from None
        return ssl.create_default_context(cadata=self.ca_certificate)

    def trust_source(self) -> str:
        if self.ca_certificate is None:
            return "the system's trusted CAs"
        if isinstance(self.ca_certificate, SecretRef):
            return f"smtp.caCertificate from {self.ca_certificate.describe()}"
        return "smtp.caCertificate"


class EmailParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: list[Address] = Field(min_length=1, max_length=100, description="Recipients.")
    cc: list[Address] = Field(default_factory=list, max_length=100, description="Copies.")
    from_: Address = Field(alias="from", description="Sender address.")
    subject: HeaderText = Field(
        min_length=1, max_length=998, description="Subject; {name} placeholders allowed."
    )
    body: str = Field(
        max_length=100_000, description="Plain-text body; {name} placeholders allowed."
    )
    values: dict[str, StrictBool | StrictInt | StrictFloat | ValidText] = Field(
        default_factory=dict, max_length=100,
        description="Values for the {name} placeholders in subject and body.",
    )
    smtp: SmtpSettings = Field(description="The SMTP server to send through.")

    @model_validator(mode="after")
    def _placeholders_resolve(self) -> EmailParameters:
        subject = fill_placeholders(self.subject, self.values)
        _no_line_breaks(subject)
        fill_placeholders(self.body, self.values)
        return self

    def build_message(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.from_
        message["To"] = ", ".join(self.to)
        if self.cc:
            message["Cc"] = ", ".join(self.cc)
        message["Subject"] = fill_placeholders(self.subject, self.values)
        message["Message-ID"] = make_msgid(domain=self.from_.rsplit("@", 1)[1])
        message.set_content(fill_placeholders(self.body, self.values))
        return message


class EmailOutputs(BaseModel):
    """What a sent email records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    recipients: int = Field(description="Recipients (`to` and `cc`) the server accepted.")
    refused: list[str] = Field(description="Recipients the server refused (the others still "
                                           "got the message).")
    message_id: str = Field(alias="messageId",
                            description="The message's Message-ID header, to find it in "
                                        "the mail server's logs.")


class EmailNotification(Template[EmailParameters]):
    name: ClassVar[str] = "email-notification"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = "Sends a plain-text email through an SMTP server."
    Parameters: ClassVar[type[BaseModel]] = EmailParameters
    Outputs: ClassVar[type[BaseModel] | None] = EmailOutputs
    RUN_VALUES: ClassVar[tuple[str, ...]] = RUN_VALUES

    @classmethod
    def with_run(cls, parameters: dict[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
        """As a notifier: the run's fields are placeholder values ({job}, {result},
        {message}, ...), under any values the parameters set themselves. Each is folded
        onto one line, so a multi-line error message still fits a subject."""
        offered = {key: " ".join(str(run.get(key) or "").split()) for key in cls.RUN_VALUES}
        return {**parameters, "values": {**offered, **(parameters.get("values") or {})}}
    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "to": ["oncall@example.com"],
            "from": "dynamicjobs@example.com",
            "subject": "Nightly export for {team} is ready",
            "body": "Hello {team},\n\nthe export finished.\n",
            "values": {"team": "billing"},
            "smtp": {
                "host": "smtp.example.com", "port": 587, "security": "starttls",
                "username": "dynamicjobs",
                "password": {"secretRef": {"name": "smtp", "key": "password"}},
            },
        }
    ]

    def plan(self, params: EmailParameters, ctx: RunContext) -> dict[str, Any]:
        message = params.build_message()
        return {
            "recipients": len(params.to) + len(params.cc),
            "subject": str(message["Subject"]),
            "server": f"{params.smtp.host}:{params.smtp.port}",
        }

    def run(self, params: EmailParameters, ctx: RunContext) -> dict[str, Any]:
        message = params.build_message()
        settings = params.smtp
        timeout = max(0.1, min(settings.timeout_seconds, ctx.remaining()))
        ctx.check_cancelled()
        try:
            refused = self._send(message, params, ctx, timeout)
        except smtplib.SMTPRecipientsRefused as error:
            raise TemplateError(f"the SMTP server refused every recipient: {error}") from error
        except ssl.SSLCertVerificationError as error:
            reason = (error.verify_message or str(error)).rstrip(".")
            advice = (
                f"connect with a host name the certificate is issued for, not {settings.host!r}"
                if error.verify_code in _X509_NAME_MISMATCHES else
                "set smtp.caCertificate to the CA that issued the server's certificate"
            )
            raise TemplateError(
                f"the TLS certificate of {settings.host}:{settings.port} was not accepted: "
                f"{reason} (checked against {settings.trust_source()}); {advice}"
            ) from error
        except smtplib.SMTPAuthenticationError as error:
            detail = error.smtp_error.decode(errors="replace") if isinstance(
                error.smtp_error, bytes) else str(error.smtp_error)
            raise TemplateError(
                f"{settings.host}:{settings.port} refused the login of {settings.username!r}: "
                f"{error.smtp_code} {detail}"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TemplateError(
                f"sending through {settings.host}:{settings.port} failed: "
                f"{type(error).__name__}: {error}"
            ) from error
        recipients = len(params.to) + len(params.cc)
        ctx.logger.info("email sent", extra={"recipients": recipients, "refused": len(refused)})
        return {
            "recipients": recipients - len(refused),
            "refused": sorted(refused),
            "messageId": str(message["Message-ID"]),
        }

    @staticmethod
    def _send(
        message: EmailMessage, params: EmailParameters, ctx: RunContext, timeout: float
    ) -> dict[str, Any]:
        settings = params.smtp
        context = settings.ssl_context(ctx) if settings.security != "none" else None
        addresses = AddressPolicy.for_services(os.environ).resolve(
            settings.host, settings.port, field="smtp.host")
        client: smtplib.SMTP
        if settings.security == "tls":
            client = CheckedSMTPSSL(addresses, settings.host, settings.port, timeout=timeout,
                                     context=context)
        else:
            client = CheckedSMTP(addresses, settings.host, settings.port, timeout=timeout)
        with client:
            if settings.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise TemplateError(
                        f"{settings.host}:{settings.port} does not offer STARTTLS; not sending "
                        "without TLS (security: starttls)"
                    )
                client.starttls(context=context)
            if settings.username is not None and settings.password is not None:
                if settings.security == "none":  # refused by validation; never send it in clear
                    raise TemplateError("a password needs security starttls or tls")
                client.login(settings.username, ctx.secrets(settings.password))
            return client.send_message(
                message, from_addr=params.from_, to_addrs=[*params.to, *params.cc]
            )
