"""The CLI for functions with code, as the README's quickstart uses it: create, upload code,
invoke without a route, read runs; and the examples/ functions applied and called at the edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import check, uniq

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def test_create_upload_invoke_and_read_the_run(gh, tmp_path):
    cli = gh.cli(tmp_path)
    org = gh.create_org(uniq("cli"))
    cli("function", "create", "hello", "--org", org, "--runtime", "process", "--language", "python3",
        "--handler", "main.handle", "--env", "STAGE=cli", "--secret", "db", expect=1)  # the secret does not exist yet
    cli("secret", "create", "db", "--org", org, "--value", "password=pw-cli-secret-1")
    created = json.loads(cli("function", "create", "hello", "--org", org, "--runtime", "process", "--language", "python3",
                             "--handler", "main.handle", "--env", "STAGE=cli", "--secret", "db", "-o", "json").stdout)
    assert created["status"]["state"] == "pending" and created["env"] == {"STAGE": "cli"}, created
    built = cli("function", "code", "upload", "hello", str(EXAMPLES / "python" / "main.py"), "--org", org)
    assert "ready" in built.stdout, built.stdout
    out = cli("invoke", "hello", "--org", org, "--data", "{}")
    assert json.loads(out.stdout) == {"hello": "world", "stage": "cli"}
    run_id = out.stderr.split("run ")[1].split()[0].rstrip(":")
    queued = json.loads(cli("invoke", "hello", "--org", org, "--async", "-o", "json").stdout)
    assert queued["status"] in ("queued", "running", "succeeded") and queued["async"] is True

    import time
    deadline = time.monotonic() + 10
    while True:
        listed = cli("run", "list", "--org", org, "--function", "hello", "-o", "json", expect=None)
        runs = json.loads(listed.stdout) if listed.returncode == 0 else []
        if len(runs) >= 2 and all(r["status"] == "succeeded" for r in runs) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert {r["id"] for r in runs} >= {run_id, queued["id"]}, runs
    shown = json.loads(cli("run", "get", run_id, "--org", org, "-o", "json").stdout)
    assert shown["status"] == "succeeded" and shown["logs"] == "greeting world\n", shown
    table = cli("function", "list", "--org", org).stdout
    assert "python3 main.handle" in table and "ready" in table, table


def test_the_examples_deploy_and_answer_at_the_edge(gh, tmp_path):
    cli = gh.cli(tmp_path)
    org = uniq("ex")
    text = (EXAMPLES / "functions.yaml").read_text().replace("acme", org)
    (tmp_path / "functions.yaml").write_text(text)
    cli("apply", "-f", str(tmp_path / "functions.yaml"))
    cli("function", "code", "upload", "hello-py", str(EXAMPLES / "python" / "main.py"), "--org", org)
    cli("function", "code", "upload", "hello-node", str(EXAMPLES / "node"), "--org", org)
    cli("function", "code", "upload", "hello-wasm", str(EXAMPLES / "wasm" / "hello.wat"), "--org", org)
    revision = check(gh.api("GET", f"/v1/orgs/{org}/routes/hello-wasm"), 200).json()["revision"]
    functions = check(gh.api("GET", f"/v1/orgs/{org}/functions"), 200).json()["items"]
    gh.wait_for_revision(max([revision] + [f["revision"] for f in functions]))
    with gh.client("h2") as c:
        assert check(c.get(f"/{org}/py?name=ada"), 200).json() == {"hello": "ada", "stage": "demo"}
        assert check(c.post(f"/{org}/node", content=b"abc"), 200).json() == {"hello": "from node", "method": "POST", "length": 3}
        assert check(c.post(f"/{org}/wasm", content=b"hi"), 200).text == "hello from wasm, you sent: hi"


def test_an_envelope_function_with_an_input_schema(gh, tmp_path):
    cli = gh.cli(tmp_path)
    org = gh.create_org(uniq("cli"))
    cli("function", "create", "orders", "--org", org, "--runtime", "process", "--language", "python3", "--handler", "orders.handle",
        "--mode", "envelope", "--schema-in", str(EXAMPLES / "python" / "orders.schema.json"))
    cli("function", "code", "upload", "orders", str(EXAMPLES / "python" / "orders.py"), "--org", org)
    ok = cli("invoke", "orders", "--org", org, "--data", '{"items": [{"qty": 2, "price": 1.5}]}')
    assert json.loads(ok.stdout) == {"total": 3.0, "items": 1, "caller": "platform-admin"}
    bad = cli("invoke", "orders", "--org", org, "--data", '{"items": [{"qty": 0, "price": 1}]}', "-o", "json", expect=1)
    problem = json.loads(bad.stdout)  # with -o json the problem is on stdout; stderr names the run and status
    assert problem["type"].endswith("invalid-input") and [e["pointer"] for e in problem["errors"]] == ["/items/0/qty"], problem
    assert "HTTP 400" in bad.stderr
