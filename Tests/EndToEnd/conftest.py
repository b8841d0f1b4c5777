"""Fixtures for the end-to-end tests: the real `gatehouse serve` binary on ephemeral ports,
and a real HTTP/1.1 upstream.

- `gatehouse`: a server of the test's own (for tests that stop, kill or restart it).
- `shared_gatehouse`: one server per test module; tests on it use fresh org names.
- `gatehouse_factory`: start servers with extra arguments (`--max-body-bytes ...`).
- `upstream`: the echo/slow/status/big/stream server of upstream.py, one per session.
- `closed_port`: a port on 127.0.0.1 where connections are refused (for 502s).
- `oidc_provider`, `github_api`, `graph_api`: the identity peers of identity_peers.py, one process
  each per test module, with the default configurations there.
- `identity_peer_factory`: start a peer of the test's own (`"oidc"`, `"github"` or `"graph"`, an
  optional config and extra arguments), for tests that rotate keys, restart or reconfigure it.

When a test fails, the tail of each server's log it used is attached to the report.
"""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from harness import Gatehouse, Upstream
from identity_peers import GitHubAPI, GraphAPI, OIDCProvider, Peer, start_peer


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, extra_args=()) -> Gatehouse:
    gh = Gatehouse(tmp_path_factory.mktemp(name), extra_args)
    try:
        gh.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    return gh


@pytest.fixture
def gatehouse(tmp_path_factory) -> Iterator[Gatehouse]:
    gh = _start(tmp_path_factory, "gatehouse")
    yield gh
    gh.close()


@pytest.fixture(scope="module")
def shared_gatehouse(tmp_path_factory) -> Iterator[Gatehouse]:
    gh = _start(tmp_path_factory, "gatehouse-shared")
    yield gh
    gh.close()


@pytest.fixture(scope="module")
def gatehouse_factory(tmp_path_factory):
    started: list[Gatehouse] = []

    def start(*extra_args: str, name: str = "gatehouse-custom") -> Gatehouse:
        gh = _start(tmp_path_factory, name, extra_args)
        started.append(gh)
        return gh

    yield start
    for gh in started:
        gh.close()


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    yield up
    up.close()


def _bound_unlistened_port() -> tuple[socket.socket, int]:
    # Bound but never listening: connects are refused, and no one else can take the port.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    s, port = _bound_unlistened_port()
    yield port
    s.close()


def _start_peer(tmp_path_factory, kind: str, config=None, extra_args=()) -> Peer:
    try:
        return start_peer(kind, tmp_path_factory.mktemp(f"peer-{kind}"), config, extra_args)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory) -> Iterator[OIDCProvider]:
    peer = _start_peer(tmp_path_factory, "oidc")
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def github_api(tmp_path_factory) -> Iterator[GitHubAPI]:
    peer = _start_peer(tmp_path_factory, "github")
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def graph_api(tmp_path_factory) -> Iterator[GraphAPI]:
    peer = _start_peer(tmp_path_factory, "graph")
    yield peer
    peer.close()


@pytest.fixture
def identity_peer_factory(tmp_path_factory):
    started: list[Peer] = []

    def start(kind: str, config: dict | None = None, *extra_args: str) -> Peer:
        peer = _start_peer(tmp_path_factory, kind, config, extra_args)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        seen = set()
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Gatehouse) and id(value) not in seen:
                seen.add(id(value))
                report.sections.append((f"gatehouse log tail ({value.log_path})", value.log_tail(60)))
            elif isinstance(value, Peer) and id(value) not in seen:
                seen.add(id(value))
                report.sections.append((f"{value.SCRIPT} log tail ({value.log_path})", value.log_tail(40)))
    return report
