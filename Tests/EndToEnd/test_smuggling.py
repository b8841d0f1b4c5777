"""Request smuggling and framing: what an outside probe found (issue 12), as regression tests.

Every request body Gatehouse sends upstream is framed by Gatehouse itself, for every method and
protocol, so a body shaped like an HTTP request reaches the upstream as exactly one request's
body — never as a second request on a pooled keep-alive connection. What reached the upstream is
counted there (`upstream.py --log`), not inferred from the client's answer. Framing the edge
cannot vouch for (a bad content-length, an unknown transfer coding, two hosts) is refused before
anything reaches an upstream; tenants never share an upstream connection.

Transports: `h1c` HTTP/1.1 in plain, `h1` HTTP/1.1 over TLS, `h2` over TLS, `h2c` prior knowledge.
"""

from __future__ import annotations

import hashlib
import socket
import time
from typing import Iterator

import pytest

from harness import Gatehouse, Upstream, assert_problem, h2_request, http1_request, ssl_context, uniq

SMUGGLED = (
    b"GET /SMUGGLED HTTP/1.1\r\nHost: x\r\nX-Gatehouse-Org: globex\r\nX-Gatehouse-Identity: forged\r\n\r\n"
)
CAPTURE = b"POST /CAPTURE HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n"
METHODS = ["GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT", "PATCH"]
H1 = ["h1c", "h1"]
H2 = ["h2c", "h2"]


@pytest.fixture(scope="module")
def logged() -> Iterator[Upstream]:
    """An upstream of this module's own that logs every request it parses."""
    up = Upstream(log=True)
    yield up
    up.close()


@pytest.fixture(scope="module")
def tenants(shared_gatehouse: Gatehouse, logged: Upstream) -> dict[str, str]:
    """Two orgs whose public routes proxy to the same upstream, as two tenants of one OpenFaaS
    gateway would."""
    gh = shared_gatehouse
    orgs = {}
    for tenant in ("acme", "globex"):
        org = gh.create_org(uniq(tenant))
        gh.create_function(org, "fn", logged.url)
        gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {
            "name": "pub", "function": "fn", "paths": ["/pub", "/pub/{item}"], "auth": {"mode": "none"},
        }))
        orgs[tenant] = org
    logged.requests()  # the readiness probes of `served`
    return orgs


def send(gh: Gatehouse, transport: str, method: str, path: str, *, body: bytes | None = None,
         framing: str = "content-length", headers=(), **kwargs):
    """One request over `transport`; `framing` is how the body is delimited: `chunked` or
    `content-length` on HTTP/1.1, `content-length` or `none` (DATA frames only) on HTTP/2."""
    host, port = gh.addr(transport).rsplit(":", 1)
    tls = gh.ca if transport in ("h1", "h2") else None
    if transport in H1:
        return http1_request(host, int(port), method=method, target=path, body=body,
                             chunked=framing == "chunked", headers=headers, tls_ca=tls, **kwargs)
    return h2_request(host, int(port), method=method, path=path, body=body,
                      content_length=framing == "content-length", headers=headers, tls_ca=tls, **kwargs)


def h2_refused(gh: Gatehouse, transport: str, path: str, **kwargs) -> str:
    """Sends a malformed HTTP/2 request: it must be refused with a 400 problem or a stream reset
    (RFC 9113 §8.1.1 makes malformed requests stream errors). Says which happened."""
    try:
        r = send(gh, transport, "POST", path, validate=False, **kwargs)
    except ConnectionError as e:
        assert "stream reset" in str(e), e
        return "reset"
    assert_problem(r, 400, "bad-request")
    return "400"


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --- the critical finding: bodies reach the upstream framed, as one request -------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("transport, framing", [
    ("h1c", "chunked"), ("h1c", "content-length"), ("h1", "chunked"), ("h1", "content-length"),
    ("h2c", "content-length"), ("h2c", "none"), ("h2", "content-length"), ("h2", "none"),
])
def test_a_body_shaped_like_a_request_is_one_requests_body(shared_gatehouse, logged, tenants, transport, framing, method):
    gh, org = shared_gatehouse, tenants["acme"]
    r = send(gh, transport, method, f"/{org}/pub", body=SMUGGLED, framing=framing)
    assert r.status_code == 200, (r.status_code, r.text)
    seen = logged.requests()
    assert len(seen) == 1, seen
    (req,) = seen
    assert req["method"] == method and req["path"] == "/pub", req
    assert req["bodyLength"] == len(SMUGGLED) and req["bodySha256"] == sha(SMUGGLED), req
    assert req["org"] == org, req
    # Gatehouse wrote the framing itself: a length when it knew one, chunks otherwise.
    if framing == "content-length":
        assert req["contentLength"] == str(len(SMUGGLED)) and req["transferEncoding"] is None, req
    else:
        assert req["transferEncoding"] == "chunked" and req["contentLength"] is None, req


@pytest.mark.parametrize("transport", H1 + H2)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_request_without_a_body_reaches_the_upstream_without_one(shared_gatehouse, logged, tenants, transport, method):
    gh, org = shared_gatehouse, tenants["acme"]
    r = send(gh, transport, method, f"/{org}/pub")
    assert r.status_code == 200, r.text
    (req,) = logged.requests()
    assert req["bodyLength"] == 0 and req["transferEncoding"] is None, req
    # A POST says it has no body; a GET says nothing (RFC 9110 §8.6).
    assert req["contentLength"] == ("0" if method == "POST" else None), req


@pytest.mark.parametrize("transport", H1 + H2)
def test_a_tenant_cannot_capture_another_tenants_request(shared_gatehouse, logged, tenants, transport):
    """The probe's attack: an anonymous acme caller smuggles `POST /CAPTURE` with a 300-byte
    Content-Length so that globex's next request would become its body. Each request stays
    whole, and the two tenants' requests travel over different upstream connections."""
    gh = shared_gatehouse
    acme, globex = tenants["acme"], tenants["globex"]
    framing = "chunked" if transport in H1 else "none"
    assert send(gh, transport, "GET", f"/{acme}/pub", body=CAPTURE, framing=framing).status_code == 200
    victim = send(gh, transport, "GET", f"/{globex}/pub", headers=[("cookie", "session=globex-secret")])
    assert victim.status_code == 200 and victim.json()["headers"].get("cookie") == "session=globex-secret", victim.text
    seen = logged.requests()
    assert [(q["org"], q["path"], q["bodyLength"]) for q in seen] == [(acme, "/pub", len(CAPTURE)), (globex, "/pub", 0)], seen
    assert seen[0]["connection"] != seen[1]["connection"], seen


@pytest.mark.parametrize("transport", H1 + H2)
def test_orgs_never_share_an_upstream_connection(shared_gatehouse, logged, tenants, transport):
    """Both tenants' requests over one client connection, so on one event loop and its pool:
    each org still gets upstream connections of its own."""
    gh = shared_gatehouse
    with gh.client(transport) as c:
        for _ in range(3):
            for tenant in ("acme", "globex"):
                assert c.get(f"/{tenants[tenant]}/pub").status_code == 200
    seen = logged.requests()
    by_org: dict[str, set[int]] = {}
    for q in seen:
        by_org.setdefault(q["org"], set()).add(q["connection"])
    assert set(by_org) == {tenants["acme"], tenants["globex"]}, seen
    assert not by_org[tenants["acme"]] & by_org[tenants["globex"]], by_org


def test_a_connection_is_not_reused_after_a_body_cut_short(shared_gatehouse, logged, tenants):
    """The client sends half its declared body and goes away: the upstream connection is
    mid-message, so the next request must not be written onto it (it would become the rest of
    the first body, and the upstream would answer the wrong client)."""
    gh, org = shared_gatehouse, tenants["acme"]
    host, port = gh.addr("h1c").rsplit(":", 1)
    before = logged.stats()["received"]
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"POST /{org}/pub HTTP/1.1\r\nHost: {gh.plain_addr}\r\nContent-Length: 1000\r\n\r\n".encode() + b"x" * 500)
        deadline = time.monotonic() + 10
        while logged.stats()["received"] == before:  # the upstream has the head, waits for the rest
            assert time.monotonic() < deadline, "the cut-short request never reached the upstream"
            time.sleep(0.02)
    r = send(gh, "h1c", "GET", f"/{org}/pub")
    assert r.status_code == 200 and r.json()["method"] == "GET" and r.json()["bodyLength"] == 0, r.text
    seen = logged.requests()
    assert [(q["method"], q["bodyLength"]) for q in seen] == [("GET", 0)], seen


# --- content-length, read strictly ------------------------------------------------------------


@pytest.mark.parametrize("transport", H2)
@pytest.mark.parametrize("value", ["", " ", "\t", "3 ", " 3", "+3", "-3", "0x3", "3, 4", "3,,3", "1e1", "3.0"])
def test_a_malformed_h2_content_length_is_refused(shared_gatehouse, logged, tenants, transport, value):
    h2_refused(shared_gatehouse, transport, f"/{tenants['acme']}/pub", body=b"abc", framing="none",
               headers=[("content-length", value)])
    assert logged.requests() == []


@pytest.mark.parametrize("transport", H2)
@pytest.mark.parametrize("value", ["3, 3", "03"])
def test_an_unambiguous_h2_content_length_is_rewritten(shared_gatehouse, logged, tenants, transport, value):
    r = send(shared_gatehouse, transport, "POST", f"/{tenants['acme']}/pub", body=b"abc", framing="none",
             headers=[("content-length", value)], validate=False)
    assert r.status_code == 200, r.text
    (req,) = logged.requests()
    assert req["contentLength"] == "3" and req["bodyLength"] == 3, req


@pytest.mark.parametrize("transport", H1)
@pytest.mark.parametrize("value", ["+3", "-3", "3, 4", "0x3", "3 3"])
def test_a_malformed_h1_content_length_is_refused(shared_gatehouse, logged, tenants, transport, value):
    r = send(shared_gatehouse, transport, "POST", f"/{tenants['acme']}/pub", body=b"abc",
             headers=[("Content-Length", value)])
    assert_problem(r, 400)
    assert logged.requests() == []


@pytest.mark.parametrize("transport", H1)
@pytest.mark.parametrize("coding", ["gzip, chunked", "deflate, chunked", "x-custom, chunked"])
def test_transfer_codings_other_than_chunked_are_not_forwarded(shared_gatehouse, logged, tenants, transport, coding):
    """The body would reach the function without the coding it was sent with: 501."""
    r = send(shared_gatehouse, transport, "POST", f"/{tenants['acme']}/pub", body=b"3\r\nabc\r\n0\r\n\r\n",
             headers=[("Transfer-Encoding", coding)], frame_body=False)
    assert coding.split(",")[0] in assert_problem(r, 501, "not-implemented")["detail"]
    assert logged.requests() == []


@pytest.mark.parametrize("transport", H1)
def test_chunked_applied_twice_is_refused(shared_gatehouse, logged, tenants, transport):
    r = send(shared_gatehouse, transport, "POST", f"/{tenants['acme']}/pub", body=b"3\r\nabc\r\n0\r\n\r\n",
             headers=[("Transfer-Encoding", "chunked, chunked")], frame_body=False)
    assert r.status_code in (400, 501), r.text
    assert logged.requests() == []


@pytest.mark.parametrize("transport", H1)
def test_chunked_beside_content_length_is_refused(shared_gatehouse, logged, tenants, transport):
    r = send(shared_gatehouse, transport, "POST", f"/{tenants['acme']}/pub", body=SMUGGLED, framing="chunked",
             headers=[("Content-Length", "5")])
    assert_problem(r, 400)
    assert logged.requests() == []


# --- Host ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hosted(shared_gatehouse: Gatehouse, logged: Upstream) -> dict[str, str]:
    """acme and globex each publish a route on a host of their own."""
    gh = shared_gatehouse
    hosts = {}
    for tenant in ("acme", "globex"):
        org = gh.create_org(uniq(tenant + "h"))
        host = f"{org}.example"
        gh.create_function(org, "fn", logged.url)
        gh.create_route(org, "hosted", "fn", ["/hosted"], hosts=[host])
        hosts[tenant] = host
    logged.requests()
    return hosts


@pytest.mark.parametrize("transport", H2)
def test_h2_routes_by_authority_and_refuses_a_different_host(shared_gatehouse, logged, hosted, transport):
    gh = shared_gatehouse
    r = send(gh, transport, "GET", "/hosted", authority=hosted["acme"])
    assert r.status_code == 200 and r.json()["headers"]["x-gatehouse-org"] in hosted["acme"], r.text
    logged.requests()
    h2_refused(gh, transport, "/hosted", authority=hosted["acme"], headers=[("host", hosted["globex"])], body=None)
    assert logged.requests() == []
    # the same host in both is fine
    r = send(gh, transport, "GET", "/hosted", authority=hosted["acme"], headers=[("host", hosted["acme"].upper())],
             validate=False)
    assert r.status_code == 200, r.text
    assert len(logged.requests()) == 1


@pytest.mark.parametrize("transport", H1)
def test_h1_needs_exactly_one_host(shared_gatehouse, logged, hosted, tenants, transport):
    gh = shared_gatehouse
    r = send(gh, transport, "GET", f"/{tenants['acme']}/pub", add_host=False)
    assert "Host" in assert_problem(r, 400, "bad-request")["detail"]
    r = send(gh, transport, "GET", "/hosted", headers=[("Host", hosted["acme"]), ("Host", hosted["globex"])])
    assert_problem(r, 400)
    assert logged.requests() == []
    # HTTP/1.0 may omit it: routed by the org prefix
    r = send(gh, transport, "GET", f"/{tenants['acme']}/pub", add_host=False, version="HTTP/1.0")
    assert r.status_code == 200, r.text
    assert len(logged.requests()) == 1


# --- what reaches the function ------------------------------------------------------------------


@pytest.mark.parametrize("transport", H1 + H2)
@pytest.mark.parametrize("escape", ["%0d%0a", "%0A", "%00", "%7f"])
def test_encoded_control_characters_in_the_path_are_refused(shared_gatehouse, logged, tenants, transport, escape):
    r = send(shared_gatehouse, transport, "GET", f"/{tenants['acme']}/pub/a{escape}b")
    assert "control characters" in assert_problem(r, 400, "bad-request")["detail"]
    assert logged.requests() == []


@pytest.mark.parametrize("transport", H1 + H2)
@pytest.mark.parametrize("char", ['"', "<", ">", "\\", "`"])
def test_characters_that_must_be_encoded_are_refused(shared_gatehouse, logged, tenants, transport, char):
    kwargs = {"validate": False} if transport in H2 else {}
    r = send(shared_gatehouse, transport, "GET", f"/{tenants['acme']}/pub/a{char}b", **kwargs)
    assert "percent-encoded" in assert_problem(r, 400, "bad-request")["detail"]
    assert logged.requests() == []


@pytest.mark.parametrize("transport", H2)
def test_h2_cookie_fields_reach_http1_as_one_line(shared_gatehouse, tenants, transport):
    r = send(shared_gatehouse, transport, "GET", f"/{tenants['acme']}/pub",
             headers=[("cookie", "a=1"), ("cookie", "b=2"), ("cookie", "__Host-gatehouse-session=secret")])
    cookies = [v for k, v in r.json()["headerList"] if k == "cookie"]
    assert cookies == ["a=1; b=2"], cookies


@pytest.mark.parametrize("transport", H1 + H2)
def test_no_client_header_of_the_reserved_prefix_reaches_the_function(shared_gatehouse, tenants, transport):
    r = send(shared_gatehouse, transport, "GET", f"/{tenants['acme']}/pub",
             headers=[("x-gatehouse-", "bare"), ("x-gatehouse-org", "forged"), ("X-Gatehouse-Identity", "forged")])
    names = [k for k, _ in r.json()["headerList"]]
    assert "x-gatehouse-" not in names and "x-gatehouse-identity" not in names, names
    assert r.json()["headers"]["x-gatehouse-org"] == tenants["acme"]


# --- error details ------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", H1 + H2)
def test_anonymous_callers_see_no_errno_text(shared_gatehouse, closed_port, transport):
    gh = shared_gatehouse
    org = gh.create_org(uniq("down"))
    gh.create_function(org, "fn", f"http://127.0.0.1:{closed_port}")
    gh.create_route(org, "rt", "fn", ["/down"])
    r = send(gh, transport, "GET", f"/{org}/down")
    doc = assert_problem(r, 502, "bad-gateway")
    for leak in ("errno", "refused", "error set", "111", "NIO"):
        assert leak not in doc["detail"], doc
    assert doc["requestId"] == r.headers["x-request-id"]
    assert "Connection refused" in gh.log_text() or "connection refused" in gh.log_text().lower()


# --- the first request on a new HTTP/2 connection ---------------------------------------------


@pytest.fixture(scope="module")
def guarded(shared_gatehouse: Gatehouse, logged: Upstream) -> str:
    """An org with a jwt route (any bearer is checked) beside the public one."""
    gh = shared_gatehouse
    org = gh.create_org(uniq("big"))
    gh.create_function(org, "fn", logged.url)
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {
        "name": "jwt", "function": "fn", "paths": ["/jwt"], "auth": {"mode": "jwt"},
    }))
    gh.create_route(org, "pub", "fn", ["/pub"])
    logged.requests()
    return org


@pytest.mark.parametrize("transport", H2)
def test_a_large_bearer_on_the_first_request_is_judged_like_any_other(shared_gatehouse, guarded, transport):
    """Before the client ACKs SETTINGS, NIO's 16 KiB header-list default applied: a 20 KiB token
    was a connection error. Now it is a 401 like on any later request."""
    token = "eyJhbGciOiJSUzI1NiJ9." + "A" * 20 * 1024 + ".sig"
    r = send(shared_gatehouse, transport, "GET", f"/{guarded}/jwt", headers=[("authorization", f"Bearer {token}")])
    assert_problem(r, 401)


@pytest.mark.parametrize("transport", H2)
def test_a_large_cookie_on_the_first_request_reaches_the_function(shared_gatehouse, guarded, logged, transport):
    cookie = "big=" + "c" * 24 * 1024
    r = send(shared_gatehouse, transport, "GET", f"/{guarded}/pub", headers=[("cookie", cookie)])
    assert r.status_code == 200 and r.json()["headers"]["cookie"] == cookie, r.status_code
    assert len(logged.requests()) == 1


def test_curl_sends_a_large_first_request_over_h2(shared_gatehouse, guarded):
    import subprocess
    from harness import require_tool
    curl = require_tool("curl")
    gh = shared_gatehouse
    out = subprocess.run(
        [curl, "-sS", "--http2", "--cacert", str(gh.ca), "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
         "-H", "Cookie: big=" + "c" * 24 * 1024, f"{gh.edge_url}/{guarded}/pub"],
        capture_output=True, text=True, timeout=30)
    assert out.stdout == "200 2", (out.stdout, out.stderr)
