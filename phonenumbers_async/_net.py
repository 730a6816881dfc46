"""The loopback rule: which hosts and peers are this machine.

One home for the rule, shared by the SDK (plain ``http://`` is allowed to
loopback only) and the emulator (its bind check and the control API's peer
guard). It imports only the standard library, so the emulator can use it
without loading the client.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` (a name, an address or a peer address) is this machine.

    True for ``localhost`` in any case, with or without the trailing dot of a
    fully qualified name; for 127.0.0.0/8 and ``::1``, bracketed (``[::1]``)
    or with a zone id (``::1%lo``); and for the IPv4-mapped form of a loopback
    address (``::ffff:127.0.0.1``), which a dual-stack socket reports for IPv4
    peers. An empty or missing host is not loopback: nothing proves it is.
    """
    if not host:
        return False
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.split("%", 1)[0]
    if name.lower().removesuffix(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
