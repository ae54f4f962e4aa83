"""No test reaches beyond this machine: what pytest-socket leaves open, closed.

pytest-socket (options in pyproject.toml: `--allow-hosts=127.0.0.0/8,::1,localhost
--allow-unix-socket`) refuses `socket.connect` to any other address, so the tests that start
servers (live_server, gunicorn, redis-server, PostgreSQL, moto) keep working on loopback and
Unix sockets. It does not look at name resolution (a lookup of an outside name sends a DNS
query off the machine), `connect_ex`, or datagrams (`sendto`, `sendmsg`). This plugin refuses
those for anything but loopback, for the duration of each test (setup, call and teardown),
and honours pytest-socket's `enable_socket` marker.

Servers the tests start run in their own processes and are not guarded; they listen on
loopback only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Generator
from typing import Any

import pytest

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class NetworkBlockedError(RuntimeError):
    """A test tried to reach (or look up) something beyond loopback."""


def is_local(host: object) -> bool:
    """Loopback addresses and names, and no host at all (a passive or Unix-socket lookup)."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower().rstrip(".") in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _address_host(sock: socket.socket, address: Any) -> Any:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None  # Unix, netlink, ...: never off the machine
    return address[0] if isinstance(address, tuple) and address else address


_real = {
    "getaddrinfo": socket.getaddrinfo,
    "connect_ex": socket.socket.connect_ex,
    "sendto": socket.socket.sendto,
    "sendmsg": socket.socket.sendmsg,
}


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_local(host):
        raise NetworkBlockedError(f"a test tried to resolve {host!r}")
    return _real["getaddrinfo"](host, *args, **kwargs)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    host = _address_host(self, address)
    if host is not None and not is_local(host):
        raise NetworkBlockedError(f"a test tried to connect to {host!r}")
    return _real["connect_ex"](self, address)


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1] if args else None
    host = _address_host(self, address)
    if host is not None and not is_local(host):
        raise NetworkBlockedError(f"a test tried to send a datagram to {host!r}")
    return _real["sendto"](self, data, *args)


def _guarded_sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
    address = args[2] if len(args) > 2 else None
    host = _address_host(self, address)
    if host is not None and not is_local(host):
        raise NetworkBlockedError(f"a test tried to send a message to {host!r}")
    return _real["sendmsg"](self, buffers, *args)


def block() -> None:
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    socket.socket.sendmsg = _guarded_sendmsg  # type: ignore[method-assign]


def unblock() -> None:
    socket.getaddrinfo = _real["getaddrinfo"]
    socket.socket.connect_ex = _real["connect_ex"]  # type: ignore[method-assign]
    socket.socket.sendto = _real["sendto"]  # type: ignore[method-assign]
    socket.socket.sendmsg = _real["sendmsg"]  # type: ignore[method-assign]


def _guarded(item: pytest.Item) -> bool:
    return item.get_closest_marker("enable_socket") is None and not item.config.getoption(
        "--force-enable-socket", default=False
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None]:
    if _guarded(item):
        block()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None]:
    yield
    unblock()
