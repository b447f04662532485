"""Block network access to anything but loopback while tests run.

``block_network()`` patches the socket module so that connecting, sending a
datagram or resolving a name outside the loopback range raises
NetworkBlockedError before any DNS look-up or packet. Loopback addresses
(127.0.0.0/8, ::1), the name ``localhost`` and unix sockets stay reachable,
so recording from a simulator on 127.0.0.1 works while the guard is on.

The patches are process-wide while the guard is active, so threads started
by the code under test are covered too.

NOTE: reverse look-ups (gethostbyaddr, getnameinfo), socket.sendmsg and C
extensions that open sockets without Python's socket module are not patched.

NOTE: httpx's anyio backend resolves host names first, so a blocked name
raises NetworkBlockedError to the caller. An IP address literal skips that
step, and anyio 4 connects inside a task group, so the caller gets the
NetworkBlockedError wrapped in an ExceptionGroup.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from carecert.harness.errors import NetworkBlockedError

__all__ = ["block_network", "is_allowed_host"]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "localhost.localdomain"})

_lock = threading.Lock()


def is_allowed_host(host: str | bytes | None, allow_hosts: Iterable[str] = ()) -> bool:
    """Return True if ``host`` is a loopback address or name, or in ``allow_hosts``.

    ``None`` and the empty string mean "any local address" to getaddrinfo and
    bind, and are allowed.
    """
    if host is None:
        return True
    name = _host_text(host).strip().lower()
    if name in ("", *LOOPBACK_NAMES) or name in {h.lower() for h in allow_hosts}:
        return True
    # A scope id ("fe80::1%eth0") is not part of the address.
    literal = name.strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _host_text(host: str | bytes) -> str:
    return host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)


@contextmanager
def block_network(*, allow_hosts: Iterable[str] = ()) -> Iterator[None]:
    """Raise NetworkBlockedError for any connection outside loopback inside the block.

    ``allow_hosts`` lists further host names or addresses to allow, compared
    literally. A name allowed here is still resolved by DNS.
    """
    allowed = tuple(allow_hosts)
    originals = {
        "connect": socket.socket.connect,
        "connect_ex": socket.socket.connect_ex,
        "sendto": socket.socket.sendto,
        "getaddrinfo": socket.getaddrinfo,
        "gethostbyname": socket.gethostbyname,
        "gethostbyname_ex": socket.gethostbyname_ex,
    }

    def check_address(sock: socket.socket, address: Any, action: str) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        if isinstance(address, tuple) and address:
            host, port = address[0], address[1] if len(address) > 1 else None
            if not is_allowed_host(host, allowed):
                raise NetworkBlockedError(_host_text(host), port, action)

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        check_address(sock, address, "connect")
        originals["connect"](sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        check_address(sock, address, "connect")
        result: int = originals["connect_ex"](sock, address)
        return result

    def guarded_sendto(sock: socket.socket, data: Any, *args: Any) -> int:
        check_address(sock, args[-1] if args else None, "send a datagram")
        result: int = originals["sendto"](sock, data, *args)
        return result

    def guarded_lookup(name: str) -> Callable[..., Any]:
        original = originals[name]

        def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
            if not is_allowed_host(host, allowed):
                port = args[0] if args and isinstance(args[0], int) else None
                raise NetworkBlockedError(_host_text(host), port, "resolve")
            return original(host, *args, **kwargs)

        return lookup

    replacements: dict[str, Any] = {
        "connect": guarded_connect,
        "connect_ex": guarded_connect_ex,
        "sendto": guarded_sendto,
        "getaddrinfo": guarded_lookup("getaddrinfo"),
        "gethostbyname": guarded_lookup("gethostbyname"),
        "gethostbyname_ex": guarded_lookup("gethostbyname_ex"),
    }
    own_methods = {name for name in _SOCKET_METHODS if name in vars(socket.socket)}
    with _lock:
        _install(replacements)
    try:
        yield
    finally:
        with _lock:
            _install(originals)
            # socket.socket inherits these from _socket.socket, so remove the
            # copies rather than leave them shadowing the inherited methods.
            for name in _SOCKET_METHODS:
                if name not in own_methods:
                    delattr(socket.socket, name)


_SOCKET_METHODS = ("connect", "connect_ex", "sendto")
_MODULE_FUNCTIONS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex")


def _install(functions: dict[str, Any]) -> None:
    for name in _SOCKET_METHODS:
        setattr(socket.socket, name, functions[name])
    for name in _MODULE_FUNCTIONS:
        setattr(socket, name, functions[name])
