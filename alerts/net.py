"""Outgoing HTTP for alert webhooks and Slack, with the SSRF guard.

A URL is refused unless its scheme is ``http``/``https`` and *every* address its
host resolves to is a public (global) address: private (10/8, 172.16/12,
192.168/16, fc00::/7), loopback, link-local (169.254/16 with the cloud metadata
address 169.254.169.254, fe80::/10), shared (100.64/10), multicast, reserved and
unspecified addresses are refused, IPv4-mapped IPv6 included. The check runs when an
alert is saved and again at every send, and the request connects to the very address
that was checked (the host name still goes in ``Host`` and in TLS SNI), so a DNS
answer that changes between the check and the connection cannot redirect it.
Redirects are not followed.

``PULSE_WEBHOOK_ALLOWLIST`` (comma-separated host names, addresses or CIDR networks)
names internal receivers that are allowed although they are not public.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why (never the full URL's
    query, which may hold a token)."""


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, text: str) -> AllowList:
        hosts, networks = set(), []
        for item in (part.strip() for part in (text or "").split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        return any(address in network for network in self.networks)


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def describe_target(url: str) -> str:
    """``https://hooks.slack.com/…`` — what a log or an error may show of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{'/…' if parts.path else ''}"


def check_url(url: str, allowlist: AllowList) -> tuple[str, int, str, IPAddress]:
    """Resolve ``url``'s host and check every address.

    Returns:
        ``(scheme, port, host, address)``: the address to connect to.

    Raises:
        UnsafeUrl: not http(s), no host, unresolvable, or an address that is not
            public and not allowed.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"{describe_target(url)}: only http and https URLs are allowed")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("the URL has no host name")
    if parts.username or parts.password:
        raise UnsafeUrl(f"{describe_target(url)}: credentials in the URL are refused")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl(f"{describe_target(url)}: the port is not a number") from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"{host}: the host name does not resolve ({exc})") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(f"{host}: the host name does not resolve")
    for address in addresses:
        if not _public(address) and not allowlist.allows(host, address):
            raise UnsafeUrl(
                f"{host} resolves to {address}, a private, loopback, link-local or "
                "reserved address: refused (PULSE_WEBHOOK_ALLOWLIST can allow it)"
            )
    return parts.scheme, port, host, addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            sock, server_hostname=self.host
        )


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allowlist: AllowList,
) -> int:
    """POST ``body`` to ``url`` after the SSRF check, connecting to the checked
    address; returns the HTTP status code.

    Raises:
        UnsafeUrl: the URL is refused (see :func:`check_url`).
        OSError: the connection failed or timed out.
    """
    scheme, port, host, address = check_url(url, allowlist)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    factory = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = factory(host, port, str(address), timeout)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {type(exc).__name__}") from None
    finally:
        connection.close()
