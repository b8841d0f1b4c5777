"""Direct invocation (`POST /v1/orgs/{org}/functions/{name}/invoke`) and the runs API, against
the real binary with real `process` workers (python3): synchronous and asynchronous runs, their
records, listing and paging, who may invoke and read, and asynchronous runs surviving a kill -9.

Every test here needs the `process` driver (python3 on the machine): the module is marked
`needs_driver`."""

from __future__ import annotations

import json
import time

import pytest

from harness import assert_problem, check, uniq
from test_process_runtime import deploy

pytestmark = pytest.mark.needs_driver

SLOW = '''
import json, time
def handle(request):
    try:
        seconds = float(json.loads(request.text).get("sleep", 0))
    except Exception:
        seconds = 0
    time.sleep(seconds)
    print("slept", seconds)
    return {"slept": seconds, "body": request.text, "type": request.headers.get("content-type")}
'''

ENVELOPE = '''
def handle(context, payload):
    print("caller", context.get("caller"))
    return {"doubled": payload["n"] * 2, "function": context["function"]}
'''


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def slow_fn(gh):
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"}, "timeoutMs": 20000},
                     SLOW.encode(), "application/octet-stream", filename="main.py")
    assert fn["status"]["state"] == "ready", fn
    return org


def invoke(gh, org: str, body: bytes = b"", content_type: str | None = None, headers: dict | None = None,
           function: str = "fn", token: str | None = None):
    h = dict(headers or {})
    if content_type:
        h["content-type"] = content_type
    return gh.api("POST", f"/v1/orgs/{org}/functions/{function}/invoke", content=body, headers=h, token=token)


def test_a_synchronous_invoke_answers_as_the_function_with_the_run_id(gh, slow_fn):
    r = check(invoke(gh, slow_fn, b'{"a": 1}', "application/json"), 200)
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"slept": 0.0, "body": '{"a": 1}', "type": "application/json"}
    run_id = r.headers["x-gatehouse-run-id"]
    assert run_id.startswith("run_") and len(run_id) == 30
    run = gh.finished_run(slow_fn, run_id)
    assert run["status"] == "succeeded" and run["async"] is False and run["httpStatus"] == 200, run
    assert run["function"] == "fn" and "route" not in run
    assert json.loads(run["output"])["body"] == '{"a": 1}'
    assert "slept 0" in run["logs"]
    # The run carries the request id the answer had.
    assert run["requestId"] == r.headers["x-request-id"]


def test_a_finished_run_is_readable_as_soon_as_its_answer_arrived(gh, slow_fn):
    """Records of synchronous runs are written in batches; a read must not miss one whose id the
    client already holds (the CLI's `invoke` then `run get`), so no waiting here."""
    for _ in range(5):
        r = check(invoke(gh, slow_fn, b"{}", "application/json"), 200)
        run_id = r.headers["x-gatehouse-run-id"]
        assert check(gh.api("GET", f"/v1/orgs/{slow_fn}/runs/{run_id}"), 200).json()["id"] == run_id
        listed = check(gh.api("GET", f"/v1/orgs/{slow_fn}/runs?limit=1"), 200).json()["items"]
        assert [x["id"] for x in listed] == [run_id], listed


def test_prefer_respond_async_queues_the_run_and_location_leads_to_it(gh, slow_fn):
    r = check(gh.api("POST", f"/v1/orgs/{slow_fn}/functions/fn/invoke", content=b"later",
                     headers={"content-type": "text/plain", "prefer": "respond-async"}), 202)
    assert r.headers["preference-applied"] == "respond-async"
    run = r.json()
    assert run["status"] == "queued" and run["async"] is True
    assert r.headers["location"] == f"/v1/orgs/{slow_fn}/runs/{run['id']}"
    assert r.headers["x-gatehouse-run-id"] == run["id"]
    done = gh.finished_run(slow_fn, run["id"])
    assert done["status"] == "succeeded", done
    assert json.loads(done["output"])["body"] == "later"


def test_envelope_functions_get_the_payload_and_invoke_returns_their_value(gh):
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"}, "mode": "envelope",
                          "schema": {"in": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}},
                     ENVELOPE.encode(), "application/octet-stream", filename="main.py")
    assert fn["status"]["state"] == "ready", fn
    assert check(invoke(gh, org, b'{"n": 21}', "application/json"), 200).json() == {"doubled": 42, "function": "fn"}
    refused = invoke(gh, org, b'{"n": "x"}', "application/json")
    assert_problem(refused, 400)
    run = gh.finished_run(org, refused.headers["x-gatehouse-run-id"])
    assert run["status"] == "failed" and run["errorType"] == "InputError", run


def test_a_function_not_ready_is_503_saying_why(gh):
    org = gh.create_org(uniq("runs"))
    check(gh.api("POST", f"/v1/orgs/{org}/functions",
                 {"name": "fn", "runtime": "process", "process": {"language": "python3", "handler": "main.handle"}}), 201)
    problem = assert_problem(invoke(gh, org, b"{}", "application/json"), 503)
    assert "no code" in problem["detail"], problem
    assert_problem(invoke(gh, org, function="ghost"), 404)


def test_runs_are_listed_newest_first_filtered_by_function_and_paged(gh):
    org, _ = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"}},
                    SLOW.encode(), "application/octet-stream", filename="main.py")
    check(gh.api("POST", f"/v1/orgs/{org}/functions",
                 {"name": "other", "runtime": "process", "process": {"language": "python3", "handler": "main.handle"}}), 201)
    ids = []
    for n in range(3):
        r = check(invoke(gh, org, str(n).encode(), "text/plain"), 200)
        ids.append(r.headers["x-gatehouse-run-id"])
        gh.finished_run(org, ids[-1])
    other = invoke(gh, org, function="other")
    gh.finished_run(org, other.headers["x-gatehouse-run-id"])

    page = check(gh.api("GET", f"/v1/orgs/{org}/runs?function=fn&limit=2"), 200).json()
    assert [run["id"] for run in page["items"]] == [ids[2], ids[1]]
    rest = check(gh.api("GET", f"/v1/orgs/{org}/runs?function=fn&limit=2&cursor={page['nextCursor']}"), 200).json()
    assert [run["id"] for run in rest["items"]] == [ids[0]] and "nextCursor" not in rest
    everything = check(gh.api("GET", f"/v1/orgs/{org}/runs"), 200).json()["items"]
    assert everything[0]["id"] == other.headers["x-gatehouse-run-id"] and len(everything) == 4
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/runs?limit=0"), 400)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/runs?cursor=nope"), 400)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/runs/run_{'a' * 26}"), 404)
    # Another org's run is not found through this org.
    stranger = gh.create_org(uniq("runs"))
    assert_problem(gh.api("GET", f"/v1/orgs/{stranger}/runs/{ids[0]}"), 404)


def test_viewers_read_runs_but_only_invokers_invoke(gh, slow_fn):
    keys = {}
    for name in ("watcher", "caller"):
        keys[name] = check(gh.api("POST", f"/v1/orgs/{slow_fn}/api-keys", {"name": name}), 201).json()["key"]
    check(gh.api("PUT", f"/v1/orgs/{slow_fn}/policies/runs-access",
                 {"bindings": [{"role": "viewer", "subjects": ["api-key:watcher"]},
                               {"role": "invoker", "subjects": ["api-key:caller"]}]}), 200, 201)
    assert_problem(invoke(gh, slow_fn, b"{}", "application/json", token=keys["watcher"]), 403)
    r = check(invoke(gh, slow_fn, b"{}", "application/json", token=keys["caller"]), 200)
    run = gh.finished_run(slow_fn, r.headers["x-gatehouse-run-id"])
    assert run["caller"] == "api-key:caller", run
    check(gh.api("GET", f"/v1/orgs/{slow_fn}/runs/{run['id']}", token=keys["watcher"]), 200)
    check(gh.api("GET", f"/v1/orgs/{slow_fn}/runs", token=keys["caller"]), 200)
    # An invoker cannot change the function or upload code.
    assert_problem(gh.api("PUT", f"/v1/orgs/{slow_fn}/functions/fn/code?filename=main.py", content=b"x",
                          headers={"content-type": "application/octet-stream"}, token=keys["caller"]), 403)


def test_an_accepted_run_survives_a_kill_9_it_is_executed_or_reported_failed(gatehouse):
    """Accepted runs are in the store before the 202. One killed while running is reported
    failed (SystemError) after the restart; one killed before it started runs then."""
    gh = gatehouse
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"}, "timeoutMs": 60000},
                     SLOW.encode(), "application/octet-stream", filename="main.py")
    assert fn["status"]["state"] == "ready", fn

    def accept(body: bytes) -> str:
        r = gh.api("POST", f"/v1/orgs/{org}/functions/fn/invoke", content=body,
                   headers={"content-type": "application/json", "prefer": "respond-async"})
        return check(r, 202).json()["id"]

    slow = accept(b'{"sleep": 30}')
    deadline = time.monotonic() + 20
    while check(gh.api("GET", f"/v1/orgs/{org}/runs/{slow}"), 200).json()["status"] != "running":
        assert time.monotonic() < deadline, "the slow run never started"
        time.sleep(0.05)
    just_accepted = accept(b"{}")
    gh.kill9()
    gh.start()

    interrupted = gh.finished_run(org, slow, timeout=60)
    assert interrupted["status"] == "failed" and interrupted["errorType"] == "SystemError", interrupted
    assert "stopped while the run was running" in interrupted["error"]
    # The one accepted just before the kill either had started (failed, as above) or runs now.
    later = gh.finished_run(org, just_accepted, timeout=90)
    assert later["status"] in ("succeeded", "failed"), later
    if later["status"] == "failed":
        assert later["errorType"] == "SystemError", later
