"""Unit tests cannot reach beyond this machine; loopback and Unix sockets still work, so the
tests that start servers (live_server, gunicorn, redis-server, PostgreSQL, moto) keep working.

192.0.2.1 is TEST-NET-1 (RFC 5737): nothing answers there, so a test that got through would hang
or fail slowly; a refusal is immediate and names the address."""

import socket
import threading
import urllib.request

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.netguard import NetworkBlockedError, is_local

OUTSIDE = "192.0.2.1"
# pytest-socket also warns as it refuses; the refusal is what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")


def test_a_tcp_connection_to_an_outside_address_is_refused():
    with pytest.raises(SocketConnectBlockedError), socket.socket() as sock:
        sock.settimeout(2)
        sock.connect((OUTSIDE, 80))


def test_connect_ex_to_an_outside_address_is_refused():
    with pytest.raises(NetworkBlockedError), socket.socket() as sock:
        sock.settimeout(2)
        sock.connect_ex((OUTSIDE, 80))


def test_an_ipv6_connection_outside_is_refused():
    with pytest.raises((SocketConnectBlockedError, NetworkBlockedError)):
        socket.socket(socket.AF_INET6).connect_ex(("2001:db8::1", 80))


@pytest.mark.parametrize("send", ["sendto", "sendmsg"])
def test_a_datagram_to_an_outside_address_is_refused(send):
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(NetworkBlockedError),
    ):
        if send == "sendto":
            sock.sendto(b"x", (OUTSIDE, 53))
        else:
            sock.sendmsg([b"x"], [], 0, (OUTSIDE, 53))


def test_looking_up_an_outside_name_is_refused():
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("example.com", 443)


def test_an_http_request_to_the_outside_is_refused():
    with pytest.raises((NetworkBlockedError, SocketConnectBlockedError)):
        urllib.request.urlopen(f"http://{OUTSIDE}/", timeout=2)


def test_a_server_on_loopback_still_answers():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer():
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"hello")

        thread = threading.Thread(target=answer)
        thread.start()
        with socket.create_connection(("localhost", port), timeout=5) as client:
            assert client.recv(5) == b"hello"
        thread.join(5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.sendto(b"x", udp.getsockname())
        assert udp.recv(1) == b"x"


def test_unix_sockets_still_work(tmp_path):
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ok")
                assert conn.recv(2) == b"ok"


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        (b"localhost", True),
        ("LOCALHOST.", True),
        (None, True),
        ("192.0.2.1", False),
        ("::ffff:192.0.2.1", False),
        ("127.0.0.1.example.com", False),
        ("localhost.example.com", False),
        ("0.0.0.0", False),  # noqa: S104 - not a binding: an address that is not loopback
        ("", False),
        (80, False),
    ],
)
def test_only_loopback_counts_as_local(host, local):
    assert is_local(host) is local
