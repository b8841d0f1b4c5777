"""The edge: routing to a real upstream over TLS h2, TLS HTTP/1.1, h2c (prior knowledge) and
plain HTTP/1.1, by org prefix and by host; forwarded headers; errors; streaming; body limits;
and real HTTP/2 clients (curl, nghttp, h2load)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from harness import (
    Gatehouse, assert_problem, check, h2_request, http1_request, parse_forwarded, require_tool, uniq,
)
from upstream import big_body_sha256

TRANSPORTS = ["h2", "h1", "h2c", "h1c"]  # TLS h2, TLS HTTP/1.1, plain h2 prior knowledge, plain HTTP/1.1
TLS = {"h2", "h1"}
HOST = "api.test.local"
TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def env(gh, upstream, closed_port):
    """One org with the functions and routes every test here uses."""
    org = gh.create_org(uniq("edge"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.create_function(org, "fn-new", f"{upstream.url}/new-base")
    gh.create_function(org, "root", f"{upstream.url}/")
    gh.create_function(org, "quick", upstream.url, timeout_ms=300)
    gh.create_function(org, "dead", f"http://127.0.0.1:{closed_port}/")
    gh.create_route(org, "items", "fn", ["/items/{id}", "/echo", "/upload", "/static/*"])
    gh.create_route(org, "items-new", "fn-new", ["/items/new"])
    gh.create_route(org, "raw", "root", ["/slow", "/big", "/stream", "/status/{code}"])
    gh.create_route(org, "get-post", "fn", ["/only-get-post"], methods=["GET", "POST"])
    gh.create_route(org, "timeout", "quick", ["/tmo/slow"])
    gh.create_route(org, "dead", "dead", ["/dead"])
    gh.create_route(org, "hosted", "fn", ["/items/{id}", "/echo"], hosts=[HOST])
    gh.create_route(org, "wild", "fn", ["/w/*"], hosts=["*.wild.test"])
    return SimpleNamespace(org=org)


@dataclass
class Target:
    """Where a request goes: a transport, and the org prefix or a host route."""
    gh: Gatehouse
    org: str
    transport: str
    addressing: str

    def client(self):
        return self.gh.client(self.transport)

    def path(self, p: str) -> str:
        return f"/{self.org}{p}" if self.addressing == "prefix" else p

    @property
    def headers(self) -> dict:
        return {"host": HOST} if self.addressing == "host" else {}

    @property
    def expected_host(self) -> str:
        return HOST if self.addressing == "host" else self.gh.addr(self.transport)

    @property
    def proto(self) -> str:
        return "https" if self.transport in TLS else "http"

    @property
    def http_version(self) -> str:
        return "HTTP/2" if self.transport in ("h2", "h2c") else "HTTP/1.1"


@pytest.fixture(params=[(t, a) for t in TRANSPORTS for a in ("prefix", "host")], ids=lambda p: f"{p[0]}-{p[1]}")
def target(request, gh, env):
    return Target(gh, env.org, *request.param)


@pytest.fixture(params=TRANSPORTS)
def via(request, gh, env):
    """A transport, addressing by org prefix."""
    return Target(gh, env.org, request.param, "prefix")


def host_port(addr: str) -> tuple[str, int]:
    host, port = addr.rsplit(":", 1)
    return host, int(port)


# --- proxying: method, path, query, body ----------------------------------------------------------------


def test_get_reaches_the_upstream_with_mapped_path_and_query(target):
    with target.client() as c:
        r = c.get(target.path("/items/42?x=1&y=two%20words"), headers=target.headers)
    check(r, 200)
    assert r.http_version == target.http_version
    assert r.headers.get("x-upstream") == "echo", "the response did not come from the upstream"
    doc = r.json()
    assert doc["method"] == "GET"
    assert doc["path"] == "/base/items/42?x=1&y=two%20words", doc["path"]
    assert doc["bodyLength"] == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_are_forwarded(gh, env, method):
    with gh.client("h2") as c:
        r = c.request(method, f"/{env.org}/echo", content=b"abc" if method in ("POST", "PUT", "PATCH") else None)
    assert check(r, 200).json()["method"] == method


def test_five_mib_post_arrives_intact(via):
    body = os.urandom(5 * 1024 * 1024)
    with via.client() as c:
        r = c.post(via.path("/upload"), content=body, headers={"content-type": "application/octet-stream"})
    doc = check(r, 200).json()
    assert doc["method"] == "POST"
    assert doc["bodyLength"] == len(body)
    assert doc["bodySha256"] == hashlib.sha256(body).hexdigest()
    assert doc["headers"].get("content-type") == "application/octet-stream"


def test_streamed_upload_without_content_length_arrives_intact(via):
    pieces = [os.urandom(64 * 1024) for _ in range(48)]  # 3 MiB
    with via.client() as c:
        r = c.post(via.path("/upload"), content=iter(pieces))
    doc = check(r, 200).json()
    assert doc["bodyLength"] == sum(map(len, pieces))
    assert doc["bodySha256"] == hashlib.sha256(b"".join(pieces)).hexdigest()


def test_large_response_streams_back_intact(via):
    n = 8 * 1024 * 1024 + 123
    with via.client() as c:
        r = c.get(via.path("/big"), params={"bytes": str(n)})
    check(r, 200)
    assert len(r.content) == n
    assert hashlib.sha256(r.content).hexdigest() == big_body_sha256(n)


def test_upstream_status_codes_pass_through(via):
    with via.client() as c:
        for code in (201, 404, 418, 503):
            r = c.get(via.path(f"/status/{code}"))
            assert r.status_code == code
            assert r.headers.get("x-upstream") == "echo", f"{code} was not the upstream's own answer"
            assert r.json()["path"] == f"/status/{code}"


# --- forwarded headers --------------------------------------------------------------------------------


def test_forwarding_headers(target):
    with target.client() as c:
        r = c.get(target.path("/items/42"), headers=target.headers)
    h = check(r, 200).json()["headers"]

    xff = [x.strip() for x in h.get("x-forwarded-for", "").split(",")]
    assert xff[-1] == "127.0.0.1", h.get("x-forwarded-for")
    assert h.get("x-forwarded-proto") == target.proto
    assert h.get("x-forwarded-host") == target.expected_host
    fwd = parse_forwarded(h.get("forwarded", ""))
    assert fwd, f"no Forwarded header: {h}"
    last = fwd[-1]
    assert re.sub(r":\d+$", "", last.get("for", "")) == "127.0.0.1", last
    assert last.get("proto") == target.proto, last
    assert last.get("host") == target.expected_host, last

    rid = h.get("x-request-id", "")
    assert rid, "no x-request-id was generated for the upstream"
    assert r.headers.get("x-request-id") == rid, "the response must carry the request id the upstream saw"
    assert TRACEPARENT.match(h.get("traceparent", "")), h.get("traceparent")
    assert h.get("x-gatehouse-param-id") == "42"


def test_generated_ids_differ_per_request(via):
    with via.client() as c:
        a = check(c.get(via.path("/echo")), 200).json()["headers"]
        b = check(c.get(via.path("/echo")), 200).json()["headers"]
    assert a["x-request-id"] != b["x-request-id"]
    assert a["traceparent"].split("-")[1] != b["traceparent"].split("-")[1]


def test_client_request_id_is_passed_through(via):
    rid = f"client-{uniq('rid')}"
    with via.client() as c:
        r = c.get(via.path("/echo"), headers={"x-request-id": rid})
    assert check(r, 200).json()["headers"].get("x-request-id") == rid
    assert r.headers.get("x-request-id") == rid


def test_traceparent_is_passed_through_when_valid_and_replaced_when_not(via):
    sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with via.client() as c:
        seen = check(c.get(via.path("/echo"), headers={"traceparent": sent}), 200).json()["headers"]["traceparent"]
        assert seen == sent, f"a valid traceparent must be passed through unchanged: sent {sent}, upstream saw {seen}"
        for bad in ("garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"):
            seen = check(c.get(via.path("/echo"), headers={"traceparent": bad}), 200).json()["headers"]
            assert TRACEPARENT.match(seen.get("traceparent", "")), (bad, seen.get("traceparent"))
            assert seen["traceparent"] != bad


def test_client_sent_gatehouse_headers_are_stripped(via):
    sent = {"x-gatehouse-param-id": "evil", "x-gatehouse-org": "someone-else", "X-Gatehouse-Foo": "bar"}
    with via.client() as c:
        h = check(c.get(via.path("/items/42"), headers=sent), 200).json()["headers"]
    assert h.get("x-gatehouse-param-id") == "42"
    assert "x-gatehouse-foo" not in h
    for name, value in h.items():
        if name.startswith("x-gatehouse-"):
            assert value not in sent.values(), f"client-sent {name}: {value} reached the upstream"


HOP_BY_HOP = ("keep-alive", "te", "upgrade", "proxy-connection", "x-hop-custom")


def assert_no_hop_by_hop(h: dict) -> None:
    for name in HOP_BY_HOP:
        assert name not in h, f"hop-by-hop header {name}: {h[name]} was forwarded"
    tokens = {t.strip().lower() for t in h.get("connection", "").split(",") if t.strip()}
    assert tokens <= {"keep-alive", "close"}, f"the client's Connection header was forwarded: {h['connection']}"
    assert h.get("x-end-to-end") == "kept", "an end-to-end header was dropped"


@pytest.mark.parametrize("transport", ["h1", "h1c"])
def test_hop_by_hop_headers_are_not_forwarded_http1(gh, env, transport):
    host, port = host_port(gh.addr(transport))
    r = http1_request(
        host, port, target=f"/{env.org}/echo", tls_ca=gh.ca if transport in TLS else None,
        headers=[
            ("Connection", "keep-alive, X-Hop-Custom"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"),
            ("Upgrade", "example/1"), ("Proxy-Connection", "keep-alive"), ("X-Hop-Custom", "secret-hop"),
            ("X-End-To-End", "kept"),
        ],
    )
    check(r, 200)
    assert_no_hop_by_hop(r.json()["headers"])


@pytest.mark.parametrize("transport", ["h2", "h2c"])
def test_te_is_not_forwarded_http2(gh, env, transport):
    host, port = host_port(gh.addr(transport))
    r = h2_request(host, port, path=f"/{env.org}/echo", tls_ca=gh.ca if transport in TLS else None,
                   headers=[("te", "trailers"), ("x-end-to-end", "kept")])
    check(r, 200)
    assert_no_hop_by_hop(r.json()["headers"])


# --- routing ------------------------------------------------------------------------------------------


def test_most_specific_route_wins(gh, env):
    with gh.client("h2") as c:
        assert check(c.get(f"/{env.org}/items/new"), 200).json()["path"] == "/new-base/items/new"
        assert check(c.get(f"/{env.org}/items/42"), 200).json()["path"] == "/base/items/42"
        assert check(c.get(f"/{env.org}/items/newer"), 200).json()["path"] == "/base/items/newer"


@pytest.mark.parametrize("transport", ["h2", "h1c"])
def test_wildcard_path(gh, env, transport):
    with gh.client(transport) as c:
        assert check(c.get(f"/{env.org}/static/css/site/main.css"), 200).json()["path"] == "/base/static/css/site/main.css"
        assert check(c.get(f"/{env.org}/static"), 200).json()["path"] == "/base/static"
        assert_problem(c.get(f"/{env.org}/staticx"), 404)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_host_routes_match_with_port_and_wildcards(gh, env, transport):
    port = gh.addr(transport).rsplit(":", 1)[1]
    with gh.client(transport) as c:
        r = c.get("/items/7", headers={"host": f"{HOST}:{port}"})
        assert check(r, 200).json()["path"] == "/base/items/7"
        r = c.get("/items/7", headers={"host": HOST.upper()})
        assert check(r, 200).json()["path"] == "/base/items/7"
        r = c.get("/w/x/y", headers={"host": "a.wild.test"})
        assert check(r, 200).json()["path"] == "/base/w/x/y"
        r = c.get("/w/x", headers={"host": "a.b.wild.test"})
        assert check(r, 200).json()["path"] == "/base/w/x"
        assert_problem(c.get("/w/x", headers={"host": "wild.test"}), 404)
        assert_problem(c.get("/items/7", headers={"host": "unknown.test.local"}), 404)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_no_route_is_404_problem_with_request_id(gh, env, transport):
    with gh.client(transport) as c:
        for path in (f"/{env.org}/nothing/here", f"/{uniq('noorg')}/items/1", "/", f"/{env.org}"):
            r = c.get(path)
            doc = assert_problem(r, 404)
            assert r.headers.get("x-request-id") == doc["requestId"], (path, r.headers, doc)


@pytest.mark.parametrize("transport", ["h2", "h1"])
def test_wrong_method_is_405_with_allow(gh, env, transport):
    with gh.client(transport) as c:
        r = c.delete(f"/{env.org}/only-get-post")
        assert_problem(r, 405)
        allow = {m.strip() for m in r.headers.get("allow", "").split(",")}
        assert {"GET", "POST"} <= allow, r.headers.get("allow")
        assert "DELETE" not in allow and "PUT" not in allow, allow
        check(c.post(f"/{env.org}/only-get-post", content=b"x"), 200)


@pytest.mark.parametrize("transport", ["h2", "h1c"])
def test_refused_upstream_is_502_problem(gh, env, transport):
    with gh.client(transport) as c:
        started = time.monotonic()
        r = c.get(f"/{env.org}/dead")
    assert_problem(r, 502)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("transport", ["h2", "h1c"])
def test_slow_upstream_is_504_after_the_function_timeout(gh, env, transport):
    with gh.client(transport) as c:
        check(c.get(f"/{env.org}/tmo/slow", params={"ms": "1"}), 200)  # fast enough: passes
        started = time.monotonic()
        r = c.get(f"/{env.org}/tmo/slow", params={"ms": "2000"})
        elapsed = time.monotonic() - started
    assert_problem(r, 504)
    assert 0.25 <= elapsed <= 1.5, f"504 after {elapsed:.2f} s for timeoutMs 300"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_streamed_response_arrives_chunk_by_chunk(gh, env, transport):
    chunks, interval = 5, 300
    received = []  # (arrival time, bytes)
    with gh.client(transport) as c:
        with c.stream("GET", f"/{env.org}/stream", params={"chunks": chunks, "interval_ms": interval}) as r:
            check(r, 200)
            for data in r.iter_raw():
                if data:
                    received.append((time.time(), data))
    lines = [json.loads(line) for line in b"".join(d for _, d in received).splitlines() if line.strip()]
    assert [line["i"] for line in lines] == list(range(chunks))
    first_arrival = received[0][0]
    last_sent = lines[-1]["sentAt"]
    assert first_arrival < last_sent - 0.5, (
        f"the first bytes arrived {first_arrival - last_sent:+.2f} s after the last chunk was sent: buffered"
    )


# --- real HTTP/2 clients ---------------------------------------------------------------------------------


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("mode", ["tls-h2", "tls-h1", "h2c-prior-knowledge", "plain-h1"])
def test_curl(gh, env, mode, tmp_path):
    curl = require_tool("curl")
    base, flags, version = {
        "tls-h2": (gh.edge_url, ["--http2", "--cacert", str(gh.ca)], "2"),
        "tls-h1": (gh.edge_url, ["--http1.1", "--cacert", str(gh.ca)], "1.1"),
        "h2c-prior-knowledge": (gh.plain_url, ["--http2-prior-knowledge"], "2"),
        "plain-h1": (gh.plain_url, ["--http1.1"], "1.1"),
    }[mode]
    out = tmp_path / "body"
    p = run([curl, "-sS", *flags, "-o", str(out), "-w", "%{http_code} %{http_version}",
             f"{base}/{env.org}/items/9?q=curl"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"200 {version}", p.stdout
    assert json.loads(out.read_text())["path"] == "/base/items/9?q=curl"
    p = run([curl, "-sS", *flags, "-H", f"Host: {HOST}", "-o", str(out), "-w", "%{http_code}",
             f"{base}/items/9"])
    assert p.returncode == 0 and p.stdout == "200", (p.stdout, p.stderr)
    assert json.loads(out.read_text())["headers"]["x-forwarded-host"] == HOST


def parse_h2load(output: str) -> dict:
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", output)
    assert m, output[-3000:]
    keys = ("total", "started", "done", "succeeded", "failed", "errored", "timeout")
    result = dict(zip(keys, map(int, m.groups())))
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output)
    assert codes, output[-3000:]
    result["2xx"] = int(codes.group(1))
    result["protocol"] = re.search(r"Application protocol: (\S+)", output).group(1) if "Application protocol" in output else ""
    return result


@pytest.mark.parametrize("listener", ["tls", "h2c"])
def test_h2load(gh, env, listener):
    h2load = require_tool("h2load")
    base = gh.edge_url if listener == "tls" else gh.plain_url
    p = run([h2load, "-n", "2000", "-c", "4", "-m", "10", f"{base}/{env.org}/items/1"], timeout=180)
    result = parse_h2load(p.stdout + p.stderr)
    assert result["protocol"] in ("h2", "h2c"), p.stdout[-2000:]
    assert result["succeeded"] == 2000 and result["failed"] == 0 and result["errored"] == 0 \
        and result["timeout"] == 0, p.stdout[-2000:]
    assert result["2xx"] == 2000, p.stdout[-2000:]
    # A legitimate client is never sent GOAWAY; the server is still healthy afterwards.
    with gh.client("h2") as c:
        check(c.get(f"/{env.org}/items/1"), 200)


def test_nghttp(gh, env, tmp_path):
    nghttp = require_tool("nghttp")
    p = run([nghttp, "-nv", f"{gh.edge_url}/{env.org}/items/3"])
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert re.search(r":status: 200", p.stdout), p.stdout[-2000:]
    assert "GOAWAY" not in p.stdout.split(":status: 200")[0], "GOAWAY before the response"
    data = tmp_path / "upload.bin"
    body = os.urandom(1024 * 1024)
    data.write_bytes(body)
    p = run([nghttp, "-d", str(data), f"{gh.edge_url}/{env.org}/upload"])
    assert p.returncode == 0, p.stderr[-2000:]
    doc = json.loads(p.stdout)
    assert doc["method"] == "POST" and doc["bodySha256"] == hashlib.sha256(body).hexdigest()
    p = run([nghttp, "-nv", f"{gh.plain_url}/{env.org}/items/3"])  # h2c (prior knowledge by default)
    assert p.returncode == 0 and ":status: 200" in p.stdout, p.stdout[-2000:] + p.stderr[-2000:]


# --- body limit (a server started with --max-body-bytes 1048576) -----------------------------------------

LIMIT = 1048576


@pytest.fixture(scope="module")
def limited_gh(gatehouse_factory):
    return gatehouse_factory("--max-body-bytes", str(LIMIT), name="gatehouse-limited")


@pytest.fixture(scope="module")
def limited_route(limited_gh, upstream):
    return limited_gh.publish(f"{upstream.url}/base", ["/upload"])


@pytest.mark.parametrize("transport", ["h2", "h1", "h2c", "h1c"])
@pytest.mark.parametrize("framing", ["content-length", "streamed"])
def test_body_over_the_limit_is_413(limited_gh, limited_route, transport, framing):
    host, port = host_port(limited_gh.addr(transport))
    ca = limited_gh.ca if transport in TLS else None
    body = os.urandom(2 * LIMIT)
    path = limited_route.path("/upload")
    if transport in ("h2", "h2c"):
        r = h2_request(host, port, method="POST", path=path, tls_ca=ca, body=body,
                       content_length=framing == "content-length")
    else:
        r = http1_request(host, port, method="POST", target=path, tls_ca=ca, body=body,
                          chunked=framing == "streamed")
    assert_problem(r, 413)


def test_body_at_the_limit_passes_and_one_byte_more_does_not(limited_gh, limited_route):
    path = limited_route.path("/upload")
    with limited_gh.client("h2") as c:
        body = os.urandom(LIMIT)
        doc = check(c.post(path, content=body), 200).json()
        assert doc["bodyLength"] == LIMIT and doc["bodySha256"] == hashlib.sha256(body).hexdigest()
        doc = check(c.post(path, content=iter([body])), 200).json()
        assert doc["bodyLength"] == LIMIT
    host, port = host_port(limited_gh.public_addr)
    r = http1_request(host, port, method="POST", target=path, tls_ca=limited_gh.ca, body=os.urandom(LIMIT + 1))
    assert_problem(r, 413)
    # The server is fine after refusing: the same kind of request under the limit still works.
    with limited_gh.client("h1") as c:
        check(c.post(path, content=b"small"), 200)
