"""`gatehouse serve` itself: the listeners, the files it writes, TLS and ALPN, graceful
shutdown, and durability of acknowledged writes across kill -9."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import stat
import subprocess
import threading
import time

import httpx
import pytest

from harness import Gatehouse, check, gatehouse_bin, port_is_closed, require_tool, ssl_context, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def curl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_tool("curl"), "-sS", "--max-time", "20", *args],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


# --- listeners and files -------------------------------------------------------------------------


def test_listeners_json_names_three_real_ports(gh):
    doc = json.loads((gh.data_dir / "listeners.json").read_text())
    assert {"public", "admin", "plain"} <= set(doc), doc
    ports = set()
    for key in ("public", "admin", "plain"):
        host, port = doc[key].rsplit(":", 1)
        assert host == "127.0.0.1", doc
        port = int(port)
        assert 0 < port < 65536, doc
        ports.add(port)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    assert len(ports) == 3, f"three listeners, three ports: {doc}"


@pytest.mark.parametrize("listener", ["admin", "public", "plain"])
def test_healthz_answers_200_without_a_token(gh, listener):
    base = {"admin": gh.admin_url, "public": gh.edge_url, "plain": gh.plain_url}[listener]
    verify = ssl_context(gh.ca) if base.startswith("https") else True
    r = httpx.get(f"{base}/healthz", verify=verify, timeout=10)
    check(r, 200)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    doc = r.json()
    assert doc["status"] == "ok", doc
    assert isinstance(doc["revision"], int) and doc["revision"] >= 0, doc


def test_admin_token_file_is_private_and_never_logged(gh):
    token_file = gh.data_dir / "admin-token"
    mode = stat.S_IMODE(token_file.stat().st_mode)
    assert mode == 0o600, f"admin-token has mode {oct(mode)}"
    assert len(gh.token) >= 32, "the admin token should be long and random"
    # Some traffic that a careless server might log: good calls, and a wrong token.
    check(gh.api("GET", "/v1/orgs"), 200)
    check(gh.api("POST", "/v1/orgs", {"name": uniq("logcheck")}), 201)
    assert gh.api("GET", "/v1/orgs", token=gh.token + "x").status_code == 401
    time.sleep(0.2)  # let the log catch up
    assert gh.token not in gh.log_text(), "the admin token appears in the server's log"


def test_admin_token_is_stored_only_as_a_hash(gh):
    check(gh.api("GET", "/v1/orgs"), 200)
    for path in (gh.sqlite_path, gh.sqlite_path.with_name(gh.sqlite_path.name + "-wal")):
        if path.exists():
            assert gh.token.encode() not in path.read_bytes(), f"the plaintext admin token is in {path.name}"


def test_sqlite_database_exists(gh):
    assert gh.sqlite_path.is_file(), sorted(p.name for p in gh.data_dir.iterdir())
    with open(gh.sqlite_path, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"


def test_certificates_are_generated_and_curl_trusts_the_ca(gh):
    for name in ("ca.pem", "server.pem"):
        pem = (gh.certs_dir / name).read_text()
        assert "-----BEGIN CERTIFICATE-----" in pem, name
    for path in gh.certs_dir.iterdir():
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes():
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"private key {path.name} is readable by others ({oct(mode)})"
    for base in (gh.admin_url, gh.edge_url):
        p = curl("--cacert", str(gh.ca), "-o", "/dev/null", "-w", "%{http_code}", f"{base}/healthz")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "200", p.stdout


@pytest.mark.parametrize("listener", ["public", "admin"])
def test_tls_alpn_offers_h2_and_http11(gh, listener):
    addr = gh.public_addr if listener == "public" else gh.admin_addr
    host, port = addr.rsplit(":", 1)
    for offered, expected in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1"), (["h2"], "h2")):
        ctx = ssl_context(gh.ca, alpn=offered)
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                assert tls.selected_alpn_protocol() == expected, (offered, tls.selected_alpn_protocol())
                assert tls.version() in ("TLSv1.2", "TLSv1.3"), tls.version()
    base = f"https://{addr}"
    for flag, version in (("--http2", "2"), ("--http1.1", "1.1")):
        p = curl("-v", "--cacert", str(gh.ca), flag, "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                 f"{base}/healthz")
        assert p.returncode == 0, p.stderr
        assert p.stdout == f"200 {version}", (flag, p.stdout, p.stderr[-2000:])
    p = curl("-v", "--cacert", str(gh.ca), "--http2", "-o", "/dev/null", f"{base}/healthz")
    assert "ALPN: server accepted h2" in p.stderr or "ALPN, server accepted to use h2" in p.stderr, p.stderr[-2000:]


def test_plain_listener_speaks_h2c_prior_knowledge_and_http11(gh):
    for flag, version in (("--http2-prior-knowledge", "2"), ("--http1.1", "1.1")):
        p = curl(flag, "-o", "/dev/null", "-w", "%{http_code} %{http_version}", f"{gh.plain_url}/healthz")
        assert p.returncode == 0, p.stderr
        assert p.stdout == f"200 {version}", (flag, p.stdout)


# --- lifecycle -------------------------------------------------------------------------------------


GRACE_SECONDS = 10  # `gatehouse serve`'s default --shutdown-grace-seconds


@pytest.mark.parametrize("transport", ["h2", "h1"])
def test_sigterm_drains_in_flight_request_and_exits_zero(gatehouse, upstream, transport):
    """SIGTERM with a request in flight: the listeners stop accepting at once, the request
    finishes with 200, and the process exits 0 promptly once it has, even though the client
    (like any pooling client) keeps its connection open, idle, through the drain.

    The HTTP/2 client is httpx: python's h2 fails every pending stream on any GOAWAY, so this
    also checks that the edge sends its GOAWAY only when the connection's streams are done."""
    pub = gatehouse.publish(upstream.url, ["/slow"])
    client = gatehouse.client(transport)  # its connection stays open, idle, through the drain
    check(client.get(pub.path("/slow"), params={"ms": "1"}), 200)
    tag = uniq("drain")
    url_path = f"{pub.path('/slow')}?ms=1500&tag={tag}"
    result = {}

    def call():
        try:
            r = check(client.get(url_path), 200)
            result["path"] = r.json()["path"]
            result["answered"] = time.monotonic()
        except Exception as e:  # reported below
            result["error"] = e

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    upstream.wait_inflight(tag)
    gatehouse.drop_admin_connection()  # the only open connection is the edge client's
    gatehouse.proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    time.sleep(0.3)
    in_flight_during_check = thread.is_alive()
    public_refused = port_is_closed(gatehouse.public_addr)
    plain_refused = port_is_closed(gatehouse.plain_addr)
    admin_refused = port_is_closed(gatehouse.admin_addr)
    thread.join(20)
    try:
        rc = gatehouse.proc.wait(timeout=GRACE_SECONDS + 5)
    except subprocess.TimeoutExpired:
        rc = None
    exited = time.monotonic()
    client.close()
    if rc is None:
        gatehouse.kill9()
        pytest.fail(f"gatehouse did not exit within {GRACE_SECONDS + 5} s of SIGTERM")
    gatehouse.terminate()  # bookkeeping only: it has exited

    assert "error" not in result, f"the in-flight request failed during the drain: {result.get('error')!r}"
    assert result["path"].startswith("/slow?") and tag in result["path"], result["path"]
    assert rc == 0, f"exit code after SIGTERM: {rc}"
    assert in_flight_during_check, "the slow request finished before the listener check (check is meaningless)"
    problems = [
        f"the {name} listener still accepted new connections while draining"
        for name, refused in (("public", public_refused), ("plain", plain_refused), ("admin", admin_refused))
        if not refused
    ]
    if exited - result["answered"] >= 3:
        problems.append(
            f"the process exited {exited - result['answered']:.1f} s after the in-flight request was answered "
            f"({exited - signalled:.1f} s after SIGTERM): an idle client connection held up the drain")
    assert not problems, "; ".join(problems)
    for addr in (gatehouse.public_addr, gatehouse.admin_addr, gatehouse.plain_addr):
        assert port_is_closed(addr), f"{addr} still accepts connections after exit"


def test_kill9_right_after_acknowledged_writes_loses_nothing(gatehouse, upstream):
    gh = gatehouse
    org = uniq("durable")
    secret_path = f"/v1/orgs/{org}/secrets/db"

    def get(path):
        return gh.api("GET", path)

    def route_is_live():
        check(get(f"/v1/orgs/{org}/routes/rt"), 200)
        r = httpx.get(f"{gh.edge_url}/{org}/echo", verify=ssl_context(gh.ca), timeout=10)
        return check(r, 200).json()["path"] == "/base/echo"

    steps = [
        ("POST org",
         lambda: check(gh.api("POST", "/v1/orgs", {"name": org, "displayName": "v1"}), 201),
         lambda: check(get(f"/v1/orgs/{org}"), 200).json()["displayName"] == "v1"),
        ("PUT org",
         lambda: check(gh.api("PUT", f"/v1/orgs/{org}", {"name": org, "displayName": "v2"}), 200),
         lambda: check(get(f"/v1/orgs/{org}"), 200).json()["displayName"] == "v2"),
        ("POST function",
         lambda: gh.create_function(org, "fn", f"{upstream.url}/base"),
         lambda: check(get(f"/v1/orgs/{org}/functions/fn"), 200).json()["http"]["url"] == f"{upstream.url}/base"),
        ("POST route",
         lambda: gh.create_route(org, "rt", "fn", ["/echo"]),
         route_is_live),
        ("POST secret",
         lambda: check(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": "db", "values": {"k": "v"}}), 201),
         lambda: check(get(secret_path), 200).json()["keys"] == ["k"]),
        ("PUT secret",
         lambda: check(gh.api("PUT", secret_path, {"name": "db", "values": {"k": "v", "k2": "w"}}), 200),
         lambda: check(get(secret_path), 200).json()["keys"] == ["k", "k2"]),
        ("DELETE secret",
         lambda: check(gh.api("DELETE", secret_path), 204),
         lambda: get(secret_path).status_code == 404),
    ]
    for what, write, verify in steps:
        write()
        rc = gh.kill9()
        assert rc == -signal.SIGKILL, rc
        gh.start()
        assert verify(), f"after '{what}' was acknowledged, kill -9 and a restart lost it"


def test_sigterm_idle_exits_zero_and_restart_keeps_token_and_ca(gatehouse):
    gh = gatehouse
    token = gh.token
    ca = gh.ca.read_bytes()
    org = gh.create_org()
    started = time.monotonic()
    assert gh.terminate(timeout=15) == 0
    assert time.monotonic() - started < 10, "an idle server should exit promptly on SIGTERM"
    gh.start()
    assert (gh.data_dir / "admin-token").read_text().strip() == token, "restart changed the admin token"
    assert gh.ca.read_bytes() == ca, "restart generated a new CA"
    r = gh.api("GET", f"/v1/orgs/{org}", token=token)
    check(r, 200)
    # The old CA still verifies the (possibly re-issued) server certificates of both TLS listeners.
    for addr in (gh.public_addr, gh.admin_addr):
        host, port = addr.rsplit(":", 1)
        ctx = ssl.create_default_context(cadata=ca.decode())
        with socket.create_connection((host, int(port)), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=host):
            pass
    assert token not in gh.log_text(), "the admin token appears in the server's log"


# --- the URLs a wildcard bind advertises (issue 13, bug 4) -------------------------------------


class WildcardGatehouse(Gatehouse):
    """Bound as the defaults bind, to every address (on ephemeral ports); reached as localhost."""

    def command(self) -> list[str]:
        return [str(gatehouse_bin()), "serve", "--data-dir", str(self.data_dir), "--certs-dir", str(self.certs_dir),
                "--public-addr", "0.0.0.0:0", "--admin-addr", "0.0.0.0:0"]

    @property
    def admin_url(self) -> str:
        return f"https://localhost:{self.listeners['admin'].rsplit(':', 1)[1]}"


def test_a_wildcard_bind_advertises_and_logs_localhost_urls(tmp_path):
    gh = WildcardGatehouse(tmp_path / "wildcard", plain=False).start()
    try:
        edge_port = gh.listeners["public"].rsplit(":", 1)[1]
        admin_port = gh.listeners["admin"].rsplit(":", 1)[1]
        assert gh.listeners["admin"].startswith("0.0.0.0:"), gh.listeners
        discovery = check(gh.api("GET", "/.well-known/openid-configuration"), 200).json()
        assert discovery["issuer"] == f"https://localhost:{admin_port}", discovery
        assert "0.0.0.0" not in json.dumps(discovery), discovery
        ports = [(edge_port, admin_port)]
        gh.restart()  # the URLs and the token's path are logged on every start, not only the first
        ports.append((gh.listeners["public"].rsplit(":", 1)[1], gh.listeners["admin"].rsplit(":", 1)[1]))
        ready = [line for line in gh.log_text().splitlines() if "gatehouse ready" in line]
        assert len(ready) == 2, ready
        for line, (edge, admin) in zip(ready, ports):
            assert f"https://localhost:{edge}/{{org}}/..." in line, line
            assert f"https://localhost:{admin}/v1" in line, line
            assert str(gh.data_dir / "admin-token") in line, line
            assert "localhost for the wildcard bind 0.0.0.0" in line, line
        assert gh.token not in gh.log_text()
    finally:
        gh.close()
