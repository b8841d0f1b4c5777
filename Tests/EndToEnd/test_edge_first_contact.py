"""What a newcomer meets at the edge (issue 13): plain HTTP sent to the HTTPS port, a 405's log
line, a trailing slash on a route's path."""

from __future__ import annotations

import socket

from harness import assert_problem, uniq


def test_plain_http_on_the_tls_port_gets_a_400_saying_so(shared_gatehouse):
    host, port = shared_gatehouse.public_addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/problem+json" in head, got[:300]
    assert b"HTTPS" in body and b"https://" in body, body


def test_bytes_that_are_neither_tls_nor_http_are_closed(shared_gatehouse):
    host, port = shared_gatehouse.public_addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"\x00\x01\x02\x03garbage")
        assert s.recv(65536) == b""


def test_a_405_log_line_names_the_route(shared_gatehouse, upstream):
    gh = shared_gatehouse
    org = gh.create_org(uniq("m"))
    gh.create_function(org, "fn", upstream.url)
    gh.create_route(org, "getonly", "fn", ["/only"], methods=["GET"])
    with gh.client("h2") as c:
        assert_problem(c.post(f"/{org}/only"), 405, "method-not-allowed")
    lines = [line for line in gh.log_text().splitlines() if "status=405" in line and f"/{org}/only" in line]
    assert lines and f"route={org}/getonly" in lines[-1], lines


def test_a_trailing_slash_404_says_the_route_without_it_exists(shared_gatehouse, upstream):
    gh = shared_gatehouse
    org = gh.create_org(uniq("slash"))
    gh.create_function(org, "fn", upstream.url)
    gh.create_route(org, "hello", "fn", ["/hello"])
    with gh.client("h1") as c:
        assert c.get(f"/{org}/hello").status_code == 200
        doc = assert_problem(c.get(f"/{org}/hello/"), 404, "not-found")
        assert f"'/{org}/hello' (without the trailing slash) is a route" in doc["detail"], doc
        other = assert_problem(c.get(f"/{org}/nothing/"), 404, "not-found")
        assert "trailing slash" not in other["detail"], other
