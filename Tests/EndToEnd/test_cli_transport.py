"""The CLI's side of the wire (issue 13, bug 1): an oversized upload is refused promptly with
the server's 413 text instead of hanging, the limit comes from `GET /v1/version` so the upload
is refused before it is sent, an early answer to a body still being sent is read at once, every
call has connect and request timeouts (flag, environment, config file), and `version`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from harness import check, gatehouse_bin, ssl_context, uniq

HANG_GUARD = 60  # seconds: a hang guard, not a benchmark


@pytest.fixture(scope="module")
def small(gatehouse_factory):
    return gatehouse_factory("--max-code-bytes", "1000000", "--max-body-bytes", "1000000", name="gatehouse-small-limits")


@pytest.fixture
def cli(small, tmp_path):
    return small.cli(tmp_path)


def python_function(gh, cli) -> str:
    org = uniq("wire")
    cli("org", "create", org)
    cli("function", "create", "hello", "--org", org, "--runtime", "process", "--language", "python3",
        "--handler", "main.handle")
    return org


def timed(cli, *args, expect):
    started = time.monotonic()
    p = cli(*args, expect=expect)
    return p, time.monotonic() - started


def test_version_reports_the_server_version_and_limits(small, cli):
    r = check(httpx.get(f"{small.admin_url}/v1/version", verify=ssl_context(small.ca), timeout=10), 200)
    doc = r.json()
    assert doc["limits"] == {"maxCodeBytes": 1000000, "maxBodyBytes": 1000000}, doc
    client_version = cli("--version").stdout.strip()
    assert client_version == doc["version"], (client_version, doc)
    shown = cli("version").stdout
    assert f"client: {client_version}" in shown and f"server: {doc['version']} ({small.admin_url})" in shown, shown
    assert json.loads(cli("version", "-o", "json").stdout) == doc


def test_oversized_upload_is_refused_before_it_is_sent(small, cli, tmp_path):
    org = python_function(small, cli)
    big = tmp_path / "main.py"
    big.write_bytes(b"#" * 3_000_000)
    p, took = timed(cli, "function", "code", "upload", "hello", str(big), "--org", org, expect=1)
    assert took < HANG_GUARD, f"the upload took {took:.0f} s"
    assert "exceeds the limit of 1000000 bytes" in p.stderr, p.stderr
    assert "sent " not in p.stderr, f"the CLI sent an upload it knew was too large: {p.stderr}"


def test_an_early_413_to_a_body_still_being_sent_is_read_at_once(small, cli, tmp_path):
    """`invoke --data @file` has no limit check before sending: the server's 413 arrives while
    20 MB are still going out, and the CLI must read it rather than wait to finish sending."""
    org = python_function(small, cli)
    code = tmp_path / "main.py"
    code.write_text("def handle(request):\n    return {'status': 200, 'body': 'hi'}\n")
    cli("function", "code", "upload", "hello", str(code), "--org", org)
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(20_000_000))
    p, took = timed(cli, "invoke", "hello", "--org", org, "--data", f"@{payload}", expect=1)
    assert took < HANG_GUARD, f"the invocation took {took:.0f} s"
    assert "exceeds the limit of 1000000 bytes" in p.stderr, p.stderr


def test_upload_shows_bytes_sent_then_the_build(small, cli, tmp_path):
    org = python_function(small, cli)
    code = tmp_path / "main.py"
    code.write_text("def handle(request):\n    return {'status': 200, 'body': 'hi'}\n" + "#" * 600_000 + "\n")
    p = cli("function", "code", "upload", "hello", str(code), "--org", org)
    lines = p.stderr.splitlines()
    sent = [line for line in lines if line.startswith("sent ")]
    assert sent and sent[-1].endswith("(100%)"), p.stderr
    assert any("building" in line for line in lines), p.stderr
    assert p.stdout.strip().endswith("ready"), p.stdout


@pytest.fixture
def silent_server():
    """A TCP listener that accepts and never answers: a server that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    sock.close()


def run_cli(home: Path, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    p = subprocess.run([str(gatehouse_bin()), *args], capture_output=True, text=True, timeout=HANG_GUARD,
                       env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), **(env or {})}, cwd=home)
    return p, time.monotonic() - started


@pytest.mark.parametrize("source", ["flag", "environment", "config file"])
def test_request_timeout_ends_a_call_to_a_server_that_never_answers(silent_server, tmp_path, source):
    args = ["org", "list", "--server", silent_server, "--insecure", "--token", "x"]
    env = {}
    if source == "flag":
        args += ["--request-timeout", "1"]
    elif source == "environment":
        env["GATEHOUSE_REQUEST_TIMEOUT"] = "1"
    else:
        config = tmp_path / ".config" / "gatehouse" / "config.yaml"
        config.parent.mkdir(parents=True)
        config.write_text("requestTimeout: 1\n")
    p, took = run_cli(tmp_path, *args, env=env)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "timed out" in p.stderr, p.stderr
    # The default is 30 s; the configured 1 s (and a TLS handshake that never completes) ends sooner.
    assert took < 20, f"took {took:.1f} s with a 1 s request timeout"


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_timeout_names_where_it_came_from(tmp_path, value):
    p, _ = run_cli(tmp_path, "org", "list", "--server", "https://127.0.0.1:1", env={"GATEHOUSE_CONNECT_TIMEOUT": value})
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert f"the timeout '{value}' (from GATEHOUSE_CONNECT_TIMEOUT)" in p.stderr, p.stderr
