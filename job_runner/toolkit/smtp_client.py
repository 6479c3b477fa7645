"""SMTP clients that connect only to addresses the network policy checked.

smtplib resolves and connects by host name itself; these take the addresses
`AddressPolicy.resolve` returned and connect to one of them, while the host name still
names the server for TLS (SMTP over TLS, and STARTTLS) and its certificate check.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from typing import Any

from job_runner.toolkit.netpolicy import connect_checked


class CheckedSMTP(smtplib.SMTP):
    def __init__(self, addresses: Sequence[str], host: str, port: int, **kwargs: Any) -> None:
        self.checked_addresses = list(addresses)
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: Any) -> socket.socket:
        return connect_checked(self.checked_addresses, port, timeout, self.source_address)


class CheckedSMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, addresses: Sequence[str], host: str, port: int, **kwargs: Any) -> None:
        self.checked_addresses = list(addresses)
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: Any) -> socket.socket:
        raw = connect_checked(self.checked_addresses, port, timeout, self.source_address)
        return self.context.wrap_socket(raw, server_hostname=host)
