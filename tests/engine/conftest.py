"""Fixtures of the engine's tests: the repository on sys.path and a real DNS server."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dnsserver import AuthoritativeServer, load_zone_dir

from maildns import Resolver


@pytest.fixture(scope="session")
def zone_server():
    """Knot DNS serving every zone file of tests/zones/ on 127.0.0.1."""
    with AuthoritativeServer(load_zone_dir()) as server:
        yield server


@pytest.fixture
def resolver(zone_server):
    """A fresh Resolver (an empty cache) asking only the test server."""
    return Resolver([zone_server.address], timeout=1.0, lifetime=3.0)
