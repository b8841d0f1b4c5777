"""`runtime: wasm`: WebAssembly modules run inside Gatehouse by WasmKit, WAGI-style, behind
the same routes as any function. The modules are WebAssembly text (no wasm toolchain can be
installed here); each is uploaded as a real user would, through the code endpoint."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from harness import assert_problem, check, uniq

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wasm" / "hello.wat"

HEADER = '''(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $out (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr)) (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $err (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr)) (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))))
'''


def module(data: str, body: str) -> str:
    escaped = data.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return HEADER + f'  (data (i32.const 1024) "{escaped}")\n  (func (export "_start") {body}))\n'


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def deploy(gh, text: str, memory_pages: int | None = None, timeout_ms: int = 2000) -> tuple[str, dict]:
    org = gh.create_org(uniq("wasm"))
    spec = {"runtime": "wasm", "timeoutMs": timeout_ms}
    if memory_pages:
        spec["wasm"] = {"memoryPages": memory_pages}
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **spec}), 201)
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/fn/code?filename=fn.wat", content=text.encode(),
                 headers={"content-type": "application/octet-stream"}), 202)
    deadline = time.monotonic() + 30
    while True:
        fn = check(gh.api("GET", f"/v1/orgs/{org}/functions/fn"), 200).json()
        if fn["status"]["state"] != "building" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    route = {"name": "rt", "function": "fn", "paths": ["/call"], "auth": {"mode": "none"}}
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", route))
    return org, fn


def test_the_example_module_answers_with_its_cgi_headers_and_echoes_the_body(gh):
    org, fn = deploy(gh, EXAMPLE.read_text())
    assert fn["status"]["state"] == "ready", fn
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", content=b"ping" * 3000), 200)
    assert r.headers["content-type"] == "text/plain"
    assert r.text == "hello from wasm, you sent: " + "ping" * 3000


def test_a_status_header_sets_the_status_and_stderr_is_the_runs_logs(gh):
    text = "Status: 404 Not Found\nContent-Type: text/plain\nX-Thing: yes\n\nnope"
    org, _ = deploy(gh, module(text + "warn!", f"(call $out (i32.const 1024) (i32.const {len(text)}))"
                                             f" (call $err (i32.const {1024 + len(text)}) (i32.const 5))"))
    with gh.client("h2") as c:
        r = check(c.get(f"/{org}/call"), 404)
    assert r.text == "nope" and r.headers["x-thing"] == "yes"
    assert gh.finished_run(org, r.headers["x-gatehouse-run-id"])["logs"] == "warn!"


def test_a_module_stuck_in_a_loop_is_stopped_and_the_next_request_is_served(gh):
    org, fn = deploy(gh, module("x", "(loop $forever (br $forever))"), timeout_ms=500)
    assert fn["status"]["state"] == "ready", fn
    ok_org, _ = deploy(gh, EXAMPLE.read_text())
    with gh.client("h2") as c:
        started = time.monotonic()
        assert_problem(c.get(f"/{org}/call"), 504, "function-timeout")
        assert time.monotonic() - started < 5
        # The module's thread was freed (the loop trapped out of fuel), so others still run:
        for _ in range(8):
            check(c.post(f"/{ok_org}/call", content=b"x"), 200)
    # and the gateway's CPU came back: the loop ran out of fuel. A module still spinning costs a
    # whole core, so within a few seconds (the fuel is budgeted from a measured speed, which a
    # loaded machine may not keep) some half-second window must cost well under half a second.
    pid = gh.proc.pid
    windows = []
    for _ in range(10):
        before = _cpu_seconds(pid)
        time.sleep(0.5)
        windows.append(_cpu_seconds(pid) - before)
        if windows[-1] < 0.2:
            break
    assert windows[-1] < 0.2, f"CPU seconds per half-second window: {windows}"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("body, fragment", [
    ("unreachable", "trapped"),
    ("(call $proc_exit (i32.const 3))", "status 3"),
    # The limit holds: growing past wasm.memoryPages fails, and the module reports it.
    ("(if (i32.eq (memory.grow (i32.const 8)) (i32.const -1)) (then unreachable))", "trapped"),
    ("(call $out (i32.const 1024) (i32.const 9))", "header"),
])
def test_module_failures_are_function_errors(gh, body, fragment):
    org, fn = deploy(gh, module("no-colon\n\nbody", body), memory_pages=4)
    assert fn["status"]["state"] == "ready", fn
    with gh.client("h2") as c:
        r = c.get(f"/{org}/call")
    problem = assert_problem(r, 502, "function-failed")
    assert fragment not in problem["detail"], problem
    assert fragment in gh.finished_run(org, r.headers["x-gatehouse-run-id"])["error"]


def test_memory_within_the_limit_can_grow(gh):
    org, _ = deploy(gh, module("Content-Type: text/plain\n\ngrew",
                               "(if (i32.eq (memory.grow (i32.const 2)) (i32.const -1)) (then unreachable))"
                               " (call $out (i32.const 1024) (i32.const 30))"), memory_pages=4)
    with gh.client("h2") as c:
        assert check(c.get(f"/{org}/call"), 200).text == "grew"


def test_invalid_modules_fail_to_build_with_a_reason(gh):
    _, fn = deploy(gh, "(module (func (export \"_start\") (i32.add)))")
    assert fn["status"]["state"] == "error" and "not valid" in fn["status"]["reason"], fn
    _, fn = deploy(gh, "(module (func (export \"_start\") (i32.add))")  # does not parse
    assert fn["status"]["state"] == "error" and "not valid" in fn["status"]["reason"], fn
    _, fn = deploy(gh, "(module (func (export \"main\")))")
    assert fn["status"]["state"] == "error" and "_start" in fn["status"]["reason"], fn
    _, fn = deploy(gh, module("x", "nop").replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 64)"),
                   memory_pages=8)
    assert fn["status"]["state"] == "error" and "memoryPages" in fn["status"]["reason"], fn
