"""Loopback port helper shared by the test packages (``tests/`` is on ``sys.path``)."""
from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback TCP port nobody listens on (at the time of the call)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
