"""email-notification: send one plain-text email through an SMTP server."""

from __future__ import annotations

import re
import smtplib
import ssl
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
    StrictStr,
    model_validator,
)

from job_runner.template import RunContext, SecretRef, Template, TemplateError

_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
)
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")
_HOST = r"^[A-Za-z0-9_.:-]{1,253}$"


def _no_line_breaks(value: str) -> str:
    if any(char in value for char in "\r\n\x00"):
        raise ValueError("must not contain line breaks or NUL (header injection)")
    return value


def _address(value: str) -> str:
    _no_line_breaks(value)
    if not _ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not a plain email address like name@example.com")
    return value


Address = Annotated[str, Field(max_length=320), AfterValidator(_address)]
HeaderText = Annotated[str, AfterValidator(_no_line_breaks)]


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
    timeout_seconds: float = Field(
        default=30, gt=0, le=300, alias="timeoutSeconds", description="Network timeout."
    )

    @model_validator(mode="after")
    def _no_cleartext_password(self) -> SmtpSettings:
        if self.password is not None and self.security == "none":
            raise ValueError("a password needs security starttls or tls")
        return self


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
    values: dict[str, StrictBool | StrictInt | StrictFloat | StrictStr] = Field(
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


class EmailNotification(Template[EmailParameters]):
    name: ClassVar[str] = "email-notification"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = "Sends a plain-text email through an SMTP server."
    Parameters: ClassVar[type[BaseModel]] = EmailParameters
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
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username and settings.password:
                client.login(settings.username, ctx.secrets(settings.password))
            return client.send_message(
                message, from_addr=params.from_, to_addrs=[*params.to, *params.cc]
            )
