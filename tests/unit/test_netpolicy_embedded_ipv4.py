"""IPv6 forms that reach an IPv4 address are judged by that IPv4 address."""

from __future__ import annotations

import ipaddress

import pytest

from job_runner.toolkit.netpolicy import AddressPolicy

POLICY = AddressPolicy()


@pytest.mark.parametrize("address", [
    "64:ff9b::a9fe:a9fe",      # NAT64 of 169.254.169.254, cloud metadata
    "64:ff9b::a00:1",          # NAT64 of 10.0.0.1
    "2002:a9fe:a9fe::",        # 6to4 of 169.254.169.254
    "::ffff:0:7f00:1",         # SIIT of 127.0.0.1
    "::127.0.0.1",             # IPv4-compatible
    "64:ff9b:1::a00:1",        # local-use NAT64: where the IPv4 sits is site-specific
])
def test_refused(address: str) -> None:
    assert POLICY.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2606:4700::1111", "8.8.8.8"])
def test_public_destinations_pass(address: str) -> None:
    assert POLICY.refusal(ipaddress.ip_address(address)) is None


def test_an_admin_allow_list_still_opens_a_translated_range() -> None:
    policy = AddressPolicy.from_environ({"DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS": "10.0.0.0/8"})
    assert policy.refusal(ipaddress.ip_address("64:ff9b::a00:1")) is None
