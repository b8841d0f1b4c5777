"""What the end-to-end tests share: the real `gatehouse serve` process, the upstream process,
and two small raw clients (HTTP/1.1 over a socket, HTTP/2 over the `h2` library) for the cases
where a full client hides what we need to see (hop-by-hop headers, early 413 answers while the
body is still being sent).
"""

from __future__ import annotations

import json as jsonlib
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PROBLEM_TYPE_PREFIX = "urn:gatehouse:problem:"
NAME_RULE_WORDS = "dns label"  # the name rule's detail says "must be a lowercase DNS label: ..."


# --- small helpers ---------------------------------------------------------------------------


def uniq(prefix: str = "t") -> str:
    """A fresh resource name (a valid DNS label), so tests sharing a server never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ssl_context(ca: Path | str, alpn: Sequence[str] | None = None) -> ssl.SSLContext:
    """A client context that trusts only Gatehouse's dev CA. A new one each time: httpcore sets
    ALPN on the context it is given, so contexts must not be shared between clients."""
    ctx = ssl.create_default_context(cafile=str(ca))
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def require_tool(name: str) -> str:
    """The path of an external tool. Missing: a skip on a developer's machine, a failure in CI
    (where scripts/test must have installed it)."""
    path = shutil.which(name)
    if path:
        return path
    message = f"required tool '{name}' is not installed (scripts/test installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def gatehouse_bin() -> Path:
    env = os.environ.get("GATEHOUSE_BIN")
    path = (Path(env) if env else REPO_ROOT / ".build" / "debug" / "gatehouse").absolute()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"no gatehouse binary at {path}: set GATEHOUSE_BIN or run scripts/test", pytrace=False
        )
    return path


def cli_at_home(home: Path) -> Callable[..., subprocess.CompletedProcess]:
    """The CLI with only PATH and HOME (so its config file is under `home`) plus `env` per call;
    each call asserts its exit code is `expect`."""
    def run(*args: str, env: dict | None = None, expect: int = 0) -> subprocess.CompletedProcess:
        p = subprocess.run([str(gatehouse_bin()), *args], capture_output=True, text=True, timeout=60, cwd=home,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), **(env or {})})
        assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
        return p

    return run


def check(resp: Any, *expected: int) -> Any:
    """Assert a status, showing the body when it is not what was expected; returns resp."""
    status = resp.status_code
    assert status in expected, (
        f"{getattr(resp, 'request', None) and resp.request.method} "
        f"{getattr(resp, 'request', None) and resp.request.url}: "
        f"expected {' or '.join(map(str, expected))}, got {status}: {resp.text[:800]}"
    )
    return resp


def assert_problem(resp: Any, status: int, slug: str | None = None, field: str | None = None) -> dict:
    """An RFC 9457 problem as Gatehouse answers every error: media type, members, request id."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:800]}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.split(";")[0].strip().lower() == "application/problem+json", (
        f"content-type {ctype!r}, body {resp.text[:300]}"
    )
    doc = resp.json()
    assert doc.get("status") == status, doc
    assert isinstance(doc.get("type"), str) and doc["type"], doc
    assert isinstance(doc.get("title"), str) and doc["title"], doc
    assert isinstance(doc.get("detail"), str) and doc["detail"], doc
    assert isinstance(doc.get("requestId"), str) and doc["requestId"], f"problem without requestId: {doc}"
    if slug is not None:
        assert doc["type"] == PROBLEM_TYPE_PREFIX + slug, doc
    if field is not None:
        assert doc.get("field") == field, f"expected field {field!r}: {doc}"
    return doc


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """RFC 7239 `Forwarded` into a list of {param: value} (quotes removed, names lowercased)."""
    elements = []
    for element in value.split(","):
        pairs = {}
        for pair in element.split(";"):
            if "=" in pair:
                k, v = pair.split("=", 1)
                pairs[k.strip().lower()] = v.strip().strip('"')
        if pairs:
            elements.append(pairs)
    return elements


def port_is_closed(addr: str, timeout: float = 1.0) -> bool:
    """True when a TCP connect to host:port is refused."""
    host, port = addr.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return True


# --- the Gatehouse process --------------------------------------------------------------------


class Gatehouse:
    """One `gatehouse serve` process on ephemeral ports, with its own data and certs dirs."""

    READY_TIMEOUT = 60.0
    TERM_TIMEOUT = 30.0

    def __init__(self, root: Path, extra_args: Sequence[str] = (), plain: bool = True):
        self.root = Path(root)
        # Without the plain listener the server runs as the README's quickstart starts it.
        self.listener_names = ("public", "admin", "plain") if plain else ("public", "admin")
        self.data_dir = self.root / "data"
        self.certs_dir = self.root / "certs"
        self.log_path = self.root / "gatehouse.log"
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.listeners: dict[str, str] = {}
        self.token = ""
        self._admin: httpx.Client | None = None
        self._log_file = None
        self.starts = 0

    # addresses
    @property
    def ca(self) -> Path:
        return self.certs_dir / "ca.pem"

    @property
    def public_addr(self) -> str:
        return self.listeners["public"]

    @property
    def admin_addr(self) -> str:
        return self.listeners["admin"]

    @property
    def plain_addr(self) -> str:
        return self.listeners["plain"]

    @property
    def edge_url(self) -> str:
        return f"https://{self.public_addr}"

    @property
    def plain_url(self) -> str:
        return f"http://{self.plain_addr}"

    @property
    def admin_url(self) -> str:
        return f"https://{self.admin_addr}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "gatehouse.sqlite"

    def command(self) -> list[str]:
        return [
            str(gatehouse_bin()), "serve",
            "--data-dir", str(self.data_dir),
            "--certs-dir", str(self.certs_dir),
            "--public-addr", "127.0.0.1:0",
            "--admin-addr", "127.0.0.1:0",
            *(["--plain-addr", "127.0.0.1:0"] if "plain" in self.listener_names else []),
            *self.extra_args,
        ]

    # lifecycle
    def start(self) -> "Gatehouse":
        assert not self.running, "already running"
        self.root.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "listeners.json").unlink(missing_ok=True)  # a stale one from a kill -9
        cmd = self.command()
        self._close_log()
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n===== e2e harness: start #{self.starts + 1}: {' '.join(cmd)}\n".encode())
        self._log_file.flush()
        # Hermetic: no gatehouse.yaml in cwd, no GATEHOUSE_* settings from the caller's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        self.proc = subprocess.Popen(
            cmd, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.root, env=env, start_new_session=True,
        )
        self.starts += 1
        try:
            self._wait_ready()
        except BaseException:
            self._force_stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.READY_TIMEOUT
        listeners_file = self.data_dir / "listeners.json"
        step = "listeners.json"
        last_error = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gatehouse exited with {self.proc.returncode} before it was ready "
                    f"(waiting for {step})\n--- log tail ---\n{self.log_tail()}"
                )
            try:
                if step == "listeners.json":
                    doc = jsonlib.loads(listeners_file.read_text())
                    if all(isinstance(doc.get(k), str) and doc[k] for k in self.listener_names):
                        self.listeners = {k: doc[k] for k in self.listener_names}
                        step = "ca.pem"
                if step == "ca.pem" and self.ca.is_file() and self.ca.stat().st_size > 0:
                    step = "healthz"
                if step == "healthz":
                    with httpx.Client(verify=ssl_context(self.ca), timeout=5) as c:
                        r = c.get(f"{self.admin_url}/healthz")
                    if r.status_code == 200:
                        break
                    last_error = f"healthz answered {r.status_code}: {r.text[:200]}"
            except (OSError, ValueError, httpx.HTTPError, ssl.SSLError) as e:
                last_error = f"{type(e).__name__}: {e}"
            time.sleep(0.05)
        else:
            raise RuntimeError(
                f"gatehouse was not ready within {self.READY_TIMEOUT:.0f} s (waiting for {step}; "
                f"last error: {last_error})\n--- log tail ---\n{self.log_tail()}"
            )
        token_file = self.data_dir / "admin-token"
        assert token_file.is_file(), f"{token_file} missing once the server was ready"
        self.token = token_file.read_text().strip()
        assert self.token, "admin-token is empty"
        self._reset_admin_client()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float | None = None) -> int:
        """SIGTERM, wait for the exit, return the exit code (a kill -9 and an error if it hangs)."""
        timeout = self.TERM_TIMEOUT if timeout is None else timeout
        if self.proc is None:
            raise RuntimeError("never started")
        if self.proc.poll() is None:
            self.drop_admin_connection()  # our own idle keep-alive connection must not slow the drain
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._force_stop()
                raise TimeoutError(f"gatehouse did not exit within {timeout} s of SIGTERM") from None
        self._after_exit()
        return self.proc.returncode

    def kill9(self) -> int:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._after_exit()
        return self.proc.returncode

    def restart(self) -> "Gatehouse":
        """Stop (gracefully, if running) and start again on the same data and certs dirs."""
        if self.running:
            self.terminate()
        return self.start()

    def close(self) -> None:
        if self.running:
            try:
                self.terminate(timeout=15)
            except Exception:
                pass
        self._after_exit()

    def _force_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
            self.proc.wait(10)
        self._after_exit()

    def _after_exit(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # logs
    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # admin API
    def _reset_admin_client(self) -> None:
        if self._admin is not None:
            self._admin.close()
        self._admin = httpx.Client(base_url=self.admin_url, verify=ssl_context(self.ca), timeout=30)

    def drop_admin_connection(self) -> None:
        """Close the admin client's keep-alive connection (a new one is made on the next call)."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    @property
    def admin(self) -> httpx.Client:
        assert self.running, "gatehouse is not running"
        if self._admin is None:
            self._reset_admin_client()
        return self._admin

    def api(
        self, method: str, path: str, json: Any = None, headers: dict | None = None, *,
        content: bytes | str | None = None, token: str | None = None, auth: bool = True,
    ) -> httpx.Response:
        """One admin API call with the platform admin's bearer token (or `token`, or none)."""
        h = {}
        if auth:
            h["Authorization"] = f"Bearer {token if token is not None else self.token}"
        h.update(headers or {})
        kwargs: dict[str, Any] = {"headers": h}
        if content is not None:
            kwargs["content"] = content
        elif json is not None:
            kwargs["json"] = json
        return self.admin.request(method, path, **kwargs)

    # resources
    def create_org(self, name: str | None = None, **fields: Any) -> str:
        name = name or uniq("org")
        check(self.api("POST", "/v1/orgs", {"name": name, **fields}), 201)
        return name

    def create_function(self, org: str, name: str, url: str, timeout_ms: int | None = None) -> dict:
        doc: dict[str, Any] = {"name": name, "runtime": "http", "http": {"url": url}}
        if timeout_ms is not None:
            doc["timeoutMs"] = timeout_ms
        return check(self.api("POST", f"/v1/orgs/{org}/functions", doc), 201).json()

    def create_route(
        self, org: str, name: str, function: str, paths: Sequence[str],
        methods: Sequence[str] | None = None, hosts: Sequence[str] | None = None,
    ) -> dict:
        doc: dict[str, Any] = {"name": name, "function": function, "paths": list(paths), "auth": {"mode": "none"}}
        if methods is not None:
            doc["methods"] = list(methods)
        if hosts is not None:
            doc["hosts"] = list(hosts)
        return self.served(self.api("POST", f"/v1/orgs/{org}/routes", doc))

    def served(self, response: Any) -> dict:
        """A resource just created (201), once the edge serves a snapshot that includes it: a
        route called before then is a 404."""
        created = check(response, 201).json()
        self.wait_for_revision(created["revision"])
        return created

    def finished_run(self, org: str, run_id: str, timeout: float = 30.0) -> dict:
        """A run once it has finished (`succeeded` or `failed`): asynchronous runs finish after
        their 202, and a synchronous one is readable as soon as its answer arrived."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.api("GET", f"/v1/orgs/{org}/runs/{run_id}")
            if r.status_code == 200 and r.json()["status"] in ("succeeded", "failed"):
                return r.json()
            assert r.status_code == 200, f"GET run {run_id}: {r.status_code} {r.text}"
            assert time.monotonic() < deadline, f"run {run_id} did not finish within {timeout} s: {r.status_code} {r.text}"
            time.sleep(0.05)

    def wait_for_revision(self, revision: int, timeout: float = 10.0) -> None:
        """Admin writes reach the edge with the next snapshot: wait until one that includes
        `revision` is published (`/healthz` reports the edge's revision)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api("GET", "/healthz").json()["revision"] >= revision:
                return
            time.sleep(0.025)
        raise AssertionError(f"the edge did not reach revision {revision} within {timeout} s")

    def cli(self, home: Path) -> Callable[..., subprocess.CompletedProcess]:
        """The `gatehouse` CLI as a script would run it against this server (GATEHOUSE_SERVER /
        _TOKEN / _CACERT in the environment, `home` as HOME); each call asserts its exit code."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "GATEHOUSE_SERVER": self.admin_url,
               "GATEHOUSE_TOKEN": self.token, "GATEHOUSE_CACERT": str(self.ca)}

        def run(*args: str, input: str | None = None, expect: int | None = 0) -> subprocess.CompletedProcess:
            p = subprocess.run([str(gatehouse_bin()), *args], capture_output=True, text=True, env=env, cwd=home,
                               input=input, timeout=60)
            if expect is not None:
                assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
            return p

        return run

    def bind(self, org: str, role: str, *subjects: str, policy: str = "access") -> dict:
        """Gives `role` to `subjects` in `org` with a policy of that one binding (replacing it)."""
        doc = {"bindings": [{"role": role, "subjects": list(subjects)}]}
        return check(self.api("PUT", f"/v1/orgs/{org}/policies/{policy}", doc), 200, 201).json()

    def publish(
        self, url: str, paths: Sequence[str] = ("/echo",), *, methods: Sequence[str] | None = None,
        hosts: Sequence[str] | None = None, timeout_ms: int | None = None, org: str | None = None,
        function: str = "fn", route: str = "rt",
    ) -> "Published":
        """An org (new unless given) + a function proxying to `url` + a route: one call."""
        org = org or self.create_org()
        self.create_function(org, function, url, timeout_ms)
        self.create_route(org, route, function, paths, methods, hosts)
        return Published(self, org, function, route)

    # edge clients
    def client(self, transport: str = "h2", **kwargs: Any) -> httpx.Client:
        """An httpx client for the edge: h2 / h1 over TLS, h2c (prior knowledge) / h1c in plain."""
        kwargs.setdefault("timeout", 30)
        if transport == "h2":
            return httpx.Client(base_url=self.edge_url, http2=True, verify=ssl_context(self.ca), **kwargs)
        if transport == "h1":
            return httpx.Client(base_url=self.edge_url, http2=False, verify=ssl_context(self.ca), **kwargs)
        if transport == "h2c":
            return httpx.Client(base_url=self.plain_url, http1=False, http2=True, **kwargs)
        if transport == "h1c":
            return httpx.Client(base_url=self.plain_url, **kwargs)
        raise ValueError(transport)

    def addr(self, transport: str) -> str:
        return self.public_addr if transport in ("h2", "h1") else self.plain_addr


@dataclass
class Published:
    gh: Gatehouse
    org: str
    function: str
    route: str

    def path(self, p: str) -> str:
        """The edge path of route path `p` under the org prefix."""
        return f"/{self.org}{p}"


# --- the upstream process ----------------------------------------------------------------------


class Upstream:
    """`upstream.py` in a subprocess (its own GIL: it must keep up with h2load)."""

    def __init__(self, log: bool = False) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "upstream.py"), *(["--log"] if log else [])], stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline() if ready else ""
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError(f"upstream did not start (said {line!r})")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/__stats", timeout=5).json()

    def requests(self, clear: bool = True) -> list[dict]:
        """What reached this upstream since the last call (started with `log=True`)."""
        return httpx.get(f"{self.url}/__log", params={"clear": "1"} if clear else {}, timeout=5).json()["requests"]

    def wait_inflight(self, tag: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if tag in self.stats()["inflight"]:
                return
            time.sleep(0.02)
        raise AssertionError(f"the upstream never saw the request tagged {tag}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- raw clients ------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    http_version: str
    send_error: str | None = None  # the request body could not be sent in full (answered early)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


def _connect(host: str, port: int, tls_ca: Path | None, alpn: str, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    if tls_ca is not None:
        sock = ssl_context(tls_ca, alpn=[alpn]).wrap_socket(sock, server_hostname=host)
        if alpn == "h2":
            assert sock.selected_alpn_protocol() == "h2", f"ALPN chose {sock.selected_alpn_protocol()!r}"
    sock.setblocking(False)
    return sock


def _recv_some(sock: socket.socket) -> bytes | None:
    """Whatever is readable now (b'' on EOF, None if nothing)."""
    out = bytearray()
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return bytes(out) if out else b""
            out += data
            if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                break
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        pass
    return bytes(out) if out else None


def _send_some(sock: socket.socket, buf: bytearray) -> int:
    try:
        return sock.send(bytes(buf[:65536]))
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return 0


def _parse_http1_response(buf: bytes, eof: bool, head_request: bool) -> RawResponse | None:
    """A complete HTTP/1.1 response from buf, or None if more bytes are needed (skips 1xx)."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = buf[:end].decode("latin-1").split("\r\n")
        rest = buf[end + 4:]
        status = int(head[0].split(" ", 2)[1])
        if 100 <= status < 200 and status != 101:
            buf = rest
            continue
        pairs = [tuple(x.strip() for x in line.split(":", 1)) for line in head[1:] if ":" in line]
        headers = httpx.Headers(pairs)
        if head_request or status in (204, 304):
            return RawResponse(status, headers, b"", "HTTP/1.1")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            pos = 0
            while True:
                nl = rest.find(b"\r\n", pos)
                if nl < 0:
                    return None
                size = int(rest[pos:nl].split(b";")[0], 16)
                if size == 0:
                    return RawResponse(status, headers, bytes(body), "HTTP/1.1")
                if len(rest) < nl + 2 + size + 2:
                    return None
                body += rest[nl + 2: nl + 2 + size]
                pos = nl + 2 + size + 2
        if "content-length" in headers:
            n = int(headers["content-length"])
            return RawResponse(status, headers, rest[:n], "HTTP/1.1") if len(rest) >= n else None
        return RawResponse(status, headers, rest, "HTTP/1.1") if eof else None


def http1_request(
    host: str, port: int, *, method: str = "GET", target: str = "/",
    headers: Iterable[tuple[str, str]] = (), body: bytes | None = None, chunked: bool = False,
    tls_ca: Path | None = None, timeout: float = 30, version: str = "HTTP/1.1", add_host: bool = True,
    frame_body: bool = True,
) -> RawResponse:
    """One HTTP/1.1 request with exactly the given header lines, sending the body while reading,
    so an early answer (413 before the body is through) is seen rather than a broken pipe.
    `add_host=False` sends no Host unless `headers` has one; `version` is the request line's;
    `frame_body=False` sends `body` as it is, with no framing field of its own."""
    headers = list(headers)
    names = {k.lower() for k, _ in headers}
    if "host" not in names and add_host:
        headers.insert(0, ("Host", f"{host}:{port}"))
    if body is not None and chunked and frame_body:
        headers.append(("Transfer-Encoding", "chunked"))
    elif body is not None and "content-length" not in names and frame_body:
        headers.append(("Content-Length", str(len(body))))
    out = bytearray(f"{method} {target} {version}\r\n".encode("latin-1"))
    for k, v in headers:
        out += f"{k}: {v}\r\n".encode("latin-1")
    out += b"\r\n"
    if body is not None:
        if chunked and frame_body:
            for i in range(0, len(body), 65536):
                piece = body[i:i + 65536]
                out += b"%x\r\n" % len(piece) + piece + b"\r\n"
            out += b"0\r\n\r\n"
        else:
            out += body

    sock = _connect(host, port, tls_ca, "http/1.1", timeout)
    inbuf = b""
    send_error = None
    eof = False
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete response within {timeout} s (got {inbuf[:300]!r})")
            want_write = bool(out) and send_error is None
            r, w, _ = select.select([sock], [sock] if want_write else [], [], 0.5)
            if w:
                try:
                    del out[: _send_some(sock, out)]
                except OSError as e:  # the server answered and closed
                    send_error = f"{type(e).__name__}: {e}"
            if r or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                try:
                    data = _recv_some(sock)
                except OSError as e:
                    data = b""
                    send_error = send_error or f"{type(e).__name__}: {e}"
                if data == b"":
                    eof = True
                elif data:
                    inbuf += data
                resp = _parse_http1_response(inbuf, eof, method == "HEAD")
                if resp is not None:
                    resp.send_error = send_error if out else None
                    return resp
                if eof:
                    raise ConnectionError(f"connection closed before a full response: {inbuf[:300]!r}")
    finally:
        sock.close()


def h2_request(
    host: str, port: int, *, method: str = "GET", path: str = "/", authority: str | None = None,
    headers: Iterable[tuple[str, str]] = (), body: bytes | None = None, content_length: bool = True,
    tls_ca: Path | None = None, timeout: float = 30, validate: bool = True,
) -> RawResponse:
    """One HTTP/2 request (TLS with ALPN h2, or h2c with prior knowledge), sending DATA as flow
    control allows while reading, so an early answer and RST_STREAM are handled like a browser.
    `validate=False` lets malformed header blocks out (a padded content-length, a host beside
    :authority that names another host), as an attacker's client would send them."""
    sock = _connect(host, port, tls_ca, "h2", timeout)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True, header_encoding="utf-8", validate_outbound_headers=validate,
        normalize_outbound_headers=validate))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    hdrs = [
        (":method", method), (":scheme", "https" if tls_ca else "http"),
        (":authority", authority or f"{host}:{port}"), (":path", path), *headers,
    ]
    if body is not None and content_length:
        hdrs.append(("content-length", str(len(body))))
    conn.send_headers(sid, hdrs, end_stream=body is None)
    out = bytearray(conn.data_to_send())
    sent = 0
    sending = body is not None
    status = None
    resp_headers: list[tuple[str, str]] = []
    resp_body = bytearray()
    send_error = None
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete HTTP/2 response within {timeout} s (status {status})")
            while sending and len(out) < 262144:
                window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size, len(body) - sent)
                if window <= 0:
                    break
                try:
                    conn.send_data(sid, body[sent:sent + window], end_stream=sent + window == len(body))
                except h2.exceptions.StreamClosedError as e:
                    sending, send_error = False, f"stream closed: {e}"
                    break
                sent += window
                sending = sent < len(body)
                out += conn.data_to_send()
            r, w, _ = select.select([sock], [sock] if out else [], [], 0.5)
            if w:
                try:
                    del out[: _send_some(sock, out)]
                except OSError as e:
                    out.clear()
                    sending, send_error = False, f"{type(e).__name__}: {e}"
            if not (r or (isinstance(sock, ssl.SSLSocket) and sock.pending())):
                continue
            try:
                data = _recv_some(sock)
            except OSError as e:
                raise ConnectionError(f"connection failed before a full response: {e}") from e
            if data == b"":
                raise ConnectionError(f"connection closed before a full response (status {status})")
            if not data:
                continue
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == sid:
                    resp_headers = [(k, v) for k, v in event.headers]
                    status = int(dict(resp_headers)[":status"])
                elif isinstance(event, h2.events.InformationalResponseReceived):
                    pass
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == sid:
                    resp_body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, sid)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == sid:
                    return RawResponse(
                        status, httpx.Headers([(k, v) for k, v in resp_headers if not k.startswith(":")]),
                        bytes(resp_body), "HTTP/2", send_error if sending or sent < len(body or b"") else None,
                    )
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == sid:
                    if status is None:
                        raise ConnectionError(f"stream reset (error {event.error_code}) before a response")
                    sending = False
                    send_error = f"RST_STREAM {event.error_code}"
                    # a reset after a complete header block and no END_STREAM: the body so far
                    return RawResponse(
                        status, httpx.Headers([(k, v) for k, v in resp_headers if not k.startswith(":")]),
                        bytes(resp_body), "HTTP/2", send_error,
                    )
                elif isinstance(event, h2.events.ConnectionTerminated):
                    if event.last_stream_id is not None and event.last_stream_id < sid:
                        raise ConnectionError(f"GOAWAY ({event.error_code}) before our stream was processed")
            out += conn.data_to_send()
    finally:
        sock.close()
