"""The invocation pipeline at the edge, whatever the runtime: envelope mode, input and output
JSON Schemas, maxConcurrency with a bounded queue, timeouts, secrets that reach the function but
never its run record, and asynchronous runs (`Prefer: respond-async` → 202 + Location).

The function here is a real HTTP server in this process (`runtime: http`), so every check is
about what the pipeline does around a driver; the local runtimes have their own suites."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import assert_problem, check, uniq


class Recorder:
    """A function that records what it receives and answers as told (`answer`), optionally
    holding each request until `gate` is set."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.answer = lambda doc: (200, {"content-type": "application/json"}, json.dumps({"ok": True}).encode())
        self.gate = threading.Event()
        self.gate.set()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                doc = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body.decode("utf-8", "replace")}
                recorder.received.append(doc)
                recorder.gate.wait(30)
                status, headers, out = recorder.answer(doc)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST
            do_PUT = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture
def fn():
    recorder = Recorder()
    yield recorder
    recorder.close()


def _publish(gh, function: dict, secrets: dict | None = None) -> str:
    org = gh.create_org(uniq("inv"))
    for name, values in (secrets or {}).items():
        check(gh.api("PUT", f"/v1/orgs/{org}/secrets/{name}", {"values": values}), 200, 201)
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **function}), 201)
    route = {"name": "rt", "function": "fn", "paths": ["/call"], "auth": {"mode": "none"}}
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", route))
    return org


def test_envelope_mode_hands_the_function_context_and_payload(gh, fn):
    fn.answer = lambda doc: (200, {"content-type": "application/json"}, b'{"total": 3}')
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url}, "mode": "envelope", "env": {"STAGE": "test"}})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call?x=1", json={"items": [1, 2]}, headers={"x-trace": "abc"}), 200)
    assert r.json() == {"total": 3}
    assert r.headers["x-gatehouse-run-id"].startswith("run_")
    sent = fn.received[-1]
    assert sent["method"] == "POST" and sent["path"] == "/", sent
    assert sent["headers"]["x-gatehouse-mode"] == "envelope"
    envelope = json.loads(sent["body"])
    assert envelope["payload"] == {"items": [1, 2]}
    ctx = envelope["context"]
    assert ctx["org"] == org and ctx["function"] == "fn" and ctx["route"] == "rt"
    assert ctx["http"]["method"] == "POST" and ctx["http"]["path"] == "/call" and ctx["http"]["query"] == "x=1"
    assert ctx["http"]["headers"]["x-trace"] == "abc"
    assert ctx["env"] == {"STAGE": "test"} and ctx["caller"] is None
    assert ctx["runId"] == r.headers["x-gatehouse-run-id"] and ctx["requestId"] == r.headers["x-request-id"]
    assert ctx["deadline"].endswith("Z")


def test_input_that_fails_the_schema_is_400_with_pointers_and_never_reaches_the_function(gh, fn):
    schema = {"type": "object", "required": ["qty"], "properties": {"qty": {"type": "integer", "minimum": 1},
                                                                   "sku": {"type": "string", "pattern": "^[A-Z]+$"}}}
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url}, "schema": {"in": schema}})
    with gh.client("h2") as c:
        body = assert_problem(c.post(f"/{org}/call", json={"qty": 0, "sku": "abc"}), 400, "invalid-input")
        assert sorted(e["pointer"] for e in body["errors"]) == ["/qty", "/sku"], body
        assert body["requestId"]
        assert_problem(c.post(f"/{org}/call", content=b"{not json", headers={"content-type": "application/json"}),
                       400, "invalid-input")
        assert fn.received == []
        check(c.post(f"/{org}/call", json={"qty": 2, "sku": "ABC"}), 200)
    # http mode keeps the request as sent: the function sees the caller's path and body.
    assert fn.received[-1]["path"] == "/call" and json.loads(fn.received[-1]["body"]) == {"qty": 2, "sku": "ABC"}


def test_output_that_fails_the_schema_is_a_502(gh, fn):
    fn.answer = lambda doc: (200, {"content-type": "application/json"}, b'{"total": "three"}')
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url},
                        "schema": {"out": {"type": "object", "properties": {"total": {"type": "number"}}}}})
    with gh.client("h2") as c:
        r = c.post(f"/{org}/call", json={})
    body = assert_problem(r, 502, "invalid-output")
    # The caller learns the type and where to look; the violations are the function's, in its run.
    assert "errors" not in body and "gatehouse run get" in body["detail"], body
    run = gh.finished_run(org, r.headers["x-gatehouse-run-id"])
    assert run["errorType"] == "FunctionError" and "schema" in run["error"], run


def test_a_schema_that_is_not_a_schema_is_refused_with_its_field(gh):
    org = gh.create_org(uniq("inv"))
    r = gh.api("POST", f"/v1/orgs/{org}/functions",
               {"name": "fn", "runtime": "http", "http": {"url": "http://127.0.0.1:9/"}, "schema": {"in": {"type": 12}}})
    assert_problem(r, 400, "invalid-field", field="schema.in")


def test_beyond_max_concurrency_and_queue_callers_get_429(gh, fn):
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url}, "maxConcurrency": 1, "maxQueue": 1, "timeoutMs": 20000})
    fn.gate.clear()

    def call(n: int):
        # A connection each: httpx's synchronous HTTP/2 client serialises a shared connection.
        with gh.client("h2") as own:
            return own.post(f"/{org}/call", json={"n": n})

    with ThreadPoolExecutor(4) as pool:
        held = [pool.submit(call, i) for i in range(2)]
        deadline = time.monotonic() + 10
        while len(fn.received) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the second caller is now queued behind the first
        assert len(fn.received) == 1, "the second caller must wait for the first's slot"
        r = call(3)
        assert_problem(r, 429, "function-busy")
        assert r.headers["retry-after"] == "1"
        fn.gate.set()
        assert [f.result().status_code for f in held] == [200, 200]
    assert len(fn.received) == 2


def test_a_function_that_does_not_answer_in_time_is_504(gh, fn):
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url}, "mode": "envelope", "timeoutMs": 300})
    fn.gate.clear()
    try:
        with gh.client("h2") as c:
            started = time.monotonic()
            assert_problem(c.post(f"/{org}/call", json={}), 504, "function-timeout")
            assert time.monotonic() - started < 5
    finally:
        fn.gate.set()


def test_secrets_reach_the_function_and_never_its_run_record(gh, fn):
    # A careless function echoes its secret: the caller gets what the function sent, the run
    # record never has it.
    fn.answer = lambda doc: (200, {"content-type": "application/json"},
                             json.dumps("connected with " + json.loads(doc["body"])["context"]["secrets"]["db"]["password"]).encode())
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url}, "mode": "envelope", "secrets": ["db"]},
                   secrets={"db": {"password": "s3cret-hunter2"}})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", json={}), 200)
    assert json.loads(fn.received[-1]["body"])["context"]["secrets"] == {"db": {"password": "s3cret-hunter2"}}
    run = gh.finished_run(org, r.headers["x-gatehouse-run-id"])
    assert run["function"] == "fn" and run["route"] == "rt" and run["httpStatus"] == 200, run
    assert "s3cret-hunter2" not in json.dumps(run), run
    assert run["output"] == '"connected with [redacted]"'
    # In envelope mode a function's error status is its failure: 502, and no body to leak.
    fn.answer = lambda doc: (500, {"content-type": "text/plain"}, b"s3cret-hunter2")
    with gh.client("h2") as c:
        failed = assert_problem(c.post(f"/{org}/call", json={}), 502, "function-failed")
    assert "s3cret-hunter2" not in json.dumps(failed)
    assert "s3cret-hunter2" not in gh.log_text()


def test_prefer_respond_async_answers_202_with_the_runs_location(gh, fn):
    fn.answer = lambda doc: (200, {"content-type": "application/json"}, b'{"done": true}')
    org = _publish(gh, {"runtime": "http", "http": {"url": fn.url}, "mode": "envelope"})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", json={"job": 1}, headers={"prefer": "respond-async"}), 202)
    assert r.headers["preference-applied"] == "respond-async"
    run_id = r.json()["id"]
    assert r.headers["location"].endswith(f"/v1/orgs/{org}/runs/{run_id}")
    assert r.json()["status"] in ("queued", "running", "succeeded")
    run = gh.finished_run(org, run_id)
    assert run["status"] == "succeeded" and run["async"] is True and run["output"] == '{"done": true}', run
    assert json.loads(fn.received[-1]["body"])["context"]["async"] is True
