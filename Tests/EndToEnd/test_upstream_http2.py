"""HTTP/2 towards upstreams: a function with `"http": {"version": "2"}` is reached over h2c with
prior knowledge (http://) or TLS with ALPN h2 (https://), every exchange a stream on one pooled
connection. The h2 upstream here is Gatehouse's own edge (plain and TLS listeners): the echo
upstream behind it sees the `Via` header each hop appends, which names the protocol version the
hop received, so the test can tell which version the inner hop was spoken to with."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from harness import assert_problem, check, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def inner(gh, upstream):
    """An org whose route `/echo/*` reaches the echo upstream directly."""
    return gh.publish(upstream.url, ["/echo/*"], org=gh.create_org(uniq("inner")))


def outer(gh, url: str, version: str | None):
    org = gh.create_org(uniq("outer"))
    http = {"url": url} if version is None else {"url": url, "version": version}
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "http", "http": http}), 201)
    gh.create_route(org, "rt", "fn", ["/*"])
    return org


def hops(response) -> list[str]:
    via = response.json()["headers"].get("via", "")
    return [hop.strip() for hop in via.split(",") if hop.strip()]


@pytest.mark.parametrize(
    "scheme,version,expected",
    [("http", "2", "2"), ("https", "2", "2"), ("http", None, "1.1"), ("https", "1.1", "1.1")],
)
def test_inner_hop_uses_the_configured_version(gh, inner, scheme, version, expected):
    base = f"http://{gh.plain_addr}" if scheme == "http" else f"https://localhost:{gh.public_addr.rsplit(':', 1)[1]}"
    org = outer(gh, f"{base}/{inner.org}", version)
    with gh.client("h2") as client:
        r = check(client.get(f"/{org}/echo/x", params={"q": "1"}), 200)
    assert r.json()["path"] == "/echo/x?q=1", r.json()["path"]
    assert hops(r) == ["2 gatehouse", f"{expected} gatehouse"], hops(r)
    # The response carries both hops too: the inner one got HTTP/1.1 from the echo upstream, the
    # outer one the configured version from the inner one.
    assert r.headers["via"].split(", ") == ["1.1 gatehouse", f"{expected} gatehouse"], r.headers["via"]


def test_concurrent_exchanges_share_the_http2_upstream(gh, inner):
    org = outer(gh, f"http://{gh.plain_addr}/{inner.org}", "2")
    # One client (one connection) per worker: httpx's HTTP/2 connection is not safe to share
    # between threads. The edge still multiplexes all of them onto its upstream connections.
    local = threading.local()

    def one(i: int):
        if not hasattr(local, "client"):
            local.client = gh.client("h2")
        r = local.client.post(f"/{org}/echo/n{i}", content=b"x" * (i * 997))
        return r.status_code, r.json()["path"], r.json()["bodyLength"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(64)))
    for i, (status, path, length) in enumerate(results):
        assert status == 200 and path == f"/echo/n{i}" and length == i * 997, (i, status, path, length)


def test_an_http2_upstream_that_is_down_is_a_502(gh, closed_port):
    org = outer(gh, f"http://127.0.0.1:{closed_port}", "2")
    with gh.client("h2") as client:
        assert_problem(client.get(f"/{org}/x"), 502, "bad-gateway")


def test_version_is_validated(gh):
    org = gh.create_org(uniq("ver"))
    r = gh.api("POST", f"/v1/orgs/{org}/functions",
               {"name": "fn", "runtime": "http", "http": {"url": "http://127.0.0.1:1/", "version": "3"}})
    assert_problem(r, 400, field="http.version")
