"""Where notices may go: e-mail addresses, and webhook URLs whose host resolves to a public address

A webhook URL is checked by what its host resolves to, not by its text (``http://2130706433/`` and a name that
resolves to 10.0.0.7 are private): at the rule's creation, and again before every delivery, since what a name
resolves to may change. ``BALANCES_WEBHOOK_ALLOW_PRIVATE=1`` lifts the check (tests, closed networks).
"""

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from services.domain.alerting import MAX_EMAILS, MAX_URL
from services.domain.checks import CONTROL, EMAIL
from services.domain.errors import InvalidInput

RESOLVE_TIMEOUT = 3.0  # seconds


class PrivateTarget(Exception):
    """A webhook host that resolves to a loopback, private, link-local or otherwise non-public address."""


def email_list(value: object) -> tuple[str, ...]:
    """E-mail addresses, lower-cased, each once; ``InvalidInput`` (``emails``) naming the first that is not one."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_EMAILS:
        raise InvalidInput('emails', f'must be a list of at most {MAX_EMAILS} e-mail addresses')
    found: list[str] = []
    for index, item in enumerate(value):
        address = item.strip().lower() if isinstance(item, str) else ''
        if len(address) > 254 or not re.fullmatch(EMAIL, address):
            raise InvalidInput('emails', f'item {index} is not an e-mail address')
        if address not in found:
            found.append(address)
    return tuple(found)


def is_public(address: str) -> bool:
    """Whether an IP address is a public, unicast one (an IPv4 address mapped into IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split('%', 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """The addresses a host resolves to (an IP literal resolves to itself); ``[]`` when it does not resolve."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=RESOLVE_TIMEOUT)
    except (OSError, TimeoutError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


async def check_reachable(url: str, *, allow_private: bool) -> None:
    """Raise ``PrivateTarget`` if the URL's host resolves to any non-public address (unless allowed)."""
    if allow_private:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    for address in await resolve(parts.hostname or '', port):
        if not is_public(address):
            raise PrivateTarget(f'{parts.hostname} resolves to {address}, which is not a public address')


async def webhook_url(value: object, *, allow_private: bool) -> str | None:
    """A webhook URL: ``http`` or ``https``, with a host, at most 2,048 characters, and (unless allowed) a host
    that does not resolve to a private or loopback address. ``InvalidInput`` (``webhook_url``) otherwise.

    A host that does not resolve now is accepted: it is checked again before each delivery."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_URL or CONTROL.search(value) or ' ' in value:
        raise InvalidInput('webhook_url', f'must be a URL of at most {MAX_URL} characters')
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise InvalidInput('webhook_url', 'is not a valid URL') from None
    if parts.scheme not in ('http', 'https'):
        raise InvalidInput('webhook_url', 'must use http or https')
    if not parts.hostname:
        raise InvalidInput('webhook_url', 'must name a host')
    try:
        await check_reachable(value, allow_private=allow_private)
    except PrivateTarget as refusal:
        raise InvalidInput('webhook_url', f'{refusal} (private and loopback targets are refused)') from None
    return value
