"""Which network destinations outgoing requests may reach.

The policy is the cluster admin's, read from the runner's environment (set through the
Helm values), never from job parameters:

  DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS  comma list of networks allowed although internal
  DYNAMICJOBS_WEBHOOK_DENY_CIDRS   comma list of extra networks refused (wins over allow)

Two baselines share those lists. Endpoints (webhook-trigger, notifications over HTTP):
only globally routable unicast addresses are allowed; loopback, link-local (cloud metadata
at 169.254.169.254), private and cluster ranges (RFC 1918, 100.64/10, fc00::/7),
unspecified, multicast and reserved addresses are refused. Services (a database's host,
an SMTP server): these are usually inside the cluster, so private and cluster ranges and
the pod's own loopback are allowed, but link-local addresses and the cloud metadata
endpoints (169.254.169.254, AWS's fd00:ec2::254, Alibaba's 100.100.100.200), multicast and
the unspecified address are refused. The deny list wins over both, the allow list opens
both. Every address a name resolves to is checked, and callers connect to a checked
address, so a DNS answer cannot change between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from job_runner.contract import ENV_WEBHOOK_ALLOW_CIDRS, ENV_WEBHOOK_DENY_CIDRS
from job_runner.template import TemplateError

ALLOW_ENV = ENV_WEBHOOK_ALLOW_CIDRS
DENY_ENV = ENV_WEBHOOK_DENY_CIDRS

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class DestinationRefused(TemplateError):
    pass


def _networks(text: str, variable: str) -> tuple[IPNetwork, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise TemplateError(f"{variable}: {item!r} is not a network: {error}") from None
    return tuple(networks)


_CARRY_IPV4_IN_LAST_32_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),      # well-known NAT64 prefix (RFC 6052)
    ipaddress.ip_network("::ffff:0:0:0/96"),   # SIIT, IPv4-translated
    ipaddress.ip_network("::/96"),             # deprecated IPv4-compatible
)
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
"""Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the site's setup, so
it cannot be judged; refused unless an admin allows it."""


def _plain(address: IPAddress) -> IPAddress:
    """An IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:10.0.0.1, NAT64
    64:ff9b::a9fe:a9fe, 6to4, Teredo, SIIT) is judged as the IPv4 address it reaches."""
    if not isinstance(address, ipaddress.IPv6Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _CARRY_IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


_METADATA_ENDPOINTS = (
    ipaddress.ip_network("fd00:ec2::254/128"),     # AWS instance metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),    # Alibaba Cloud metadata
)
"""Cloud metadata endpoints outside link-local (169.254.0.0/16 holds the others)."""


@dataclass(frozen=True)
class AddressPolicy:
    allow: tuple[IPNetwork, ...] = ()
    deny: tuple[IPNetwork, ...] = ()
    services: bool = False
    """The baseline for services (databases, SMTP) rather than endpoints: see the module."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AddressPolicy:
        return cls(
            allow=_networks(environ.get(ALLOW_ENV, ""), ALLOW_ENV),
            deny=_networks(environ.get(DENY_ENV, ""), DENY_ENV),
        )

    @classmethod
    def for_services(cls, environ: Mapping[str, str]) -> AddressPolicy:
        """The admin's lists with the services' baseline (databases, SMTP servers)."""
        return replace(cls.from_environ(environ), services=True)

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` is refused, or None when it may be reached."""
        address = _plain(address)
        if any(address in network for network in self.deny):
            return "denied by the runner's deny list"
        if any(address in network for network in self.allow):
            return None
        if self.services:
            return self._service_refusal(address)
        if address in _LOCAL_NAT64:
            return "a local-use NAT64 address"
        if address.is_multicast:
            return "a multicast address"
        if address.is_loopback:
            return "a loopback address"
        if address.is_link_local:
            return "a link-local address"
        if address.is_unspecified:
            return "the unspecified address"
        if not address.is_global:
            return "a private or cluster-internal address"
        return None

    @staticmethod
    def _service_refusal(address: IPAddress) -> str | None:
        if address.is_link_local or any(address in network for network in _METADATA_ENDPOINTS):
            return "a link-local or cloud metadata address"
        if address.is_multicast:
            return "a multicast address"
        if address.is_unspecified:
            return "the unspecified address"
        return None

    def resolve(self, host: str, port: int, field: str = "destination") -> list[str]:
        """Resolve `host` and return its addresses, refusing if any one of them is refused.
        ``field`` names the parameter the host came from in the messages."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise TemplateError(f"{field}: cannot resolve {host!r}: {error}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise TemplateError(f"{field}: {host!r} resolves to no address")
        for text in addresses:
            reason = self.refusal(ipaddress.ip_address(text.split("%")[0]))
            if reason:
                raise DestinationRefused(
                    f"{field} {host!r} resolves to {text}, {reason}; the runner's network "
                    f"policy refuses it (an admin can allow it with {ALLOW_ENV})"
                )
        return addresses


def connect_checked(addresses: Sequence[str], port: int, timeout: Any,
                    source_address: Any = None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` (already checked) that answers."""
    last_error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout, source_address)
        except OSError as error:
            last_error = error
    raise last_error or OSError("no address to connect to")
