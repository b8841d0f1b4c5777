"""Function code through the admin API and the CLI: uploads stored by digest (the same bytes
twice are one upload), downloaded as they went in, bounded by `--max-code-bytes`; `code` and
`status` are the server's whatever a body says; and the CLI's path from a directory on disk to
an invoked function and its runs.

Hostile archives are in test_process_runtime.py. Tests marked `needs_driver` build and run the
code, so they need the `process` driver (python3 on the machine); the others only the API."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from harness import assert_problem, check, uniq
from test_process_runtime import tar_gz, wait_built

PROCESS = {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"}}
HELLO = b'def handle(request):\n    print("hello from", request.method)\n    return {"hello": request.text or "world"}\n'


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def cli(gh, tmp_path_factory):
    return gh.cli(tmp_path_factory.mktemp("cli-home"))


def new_function(gh, body: dict | None = None) -> str:
    org = gh.create_org(uniq("code"))
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **(body or PROCESS)}), 201)
    return org


def upload(gh, org: str, code: bytes, content_type: str = "application/octet-stream", query: str = "?filename=main.py"):
    return gh.api("PUT", f"/v1/orgs/{org}/functions/fn/code{query}", content=code, headers={"content-type": content_type})


@pytest.mark.needs_driver
def test_the_same_bytes_twice_are_one_upload_and_download_as_they_went_in(gh):
    org = new_function(gh)
    archive = tar_gz({"main.py": HELLO.decode(), "lib/helpers.py": "X = 1\n"})
    first = check(upload(gh, org, archive, "application/gzip", ""), 202).json()
    digest = "sha256:" + hashlib.sha256(archive).hexdigest()
    assert first["code"]["digest"] == digest and first["code"]["format"] == "tar.gz" and first["code"]["size"] == len(archive)
    assert wait_built(gh, org)["status"]["state"] == "ready"
    again = check(upload(gh, org, archive, "application/gzip", ""), 202).json()
    assert again["code"]["digest"] == digest
    assert wait_built(gh, org)["status"]["state"] == "ready"
    # Stored once, by digest, beside the unpacked code the runtimes read.
    code_dir = gh.data_dir / "code"
    assert (code_dir / "blobs" / digest.split(":")[1]).read_bytes() == archive
    assert (code_dir / digest.split(":")[1] / "lib" / "helpers.py").read_text() == "X = 1\n"

    r = check(gh.api("GET", f"/v1/orgs/{org}/functions/fn/code"), 200)
    assert r.content == archive
    assert r.headers["content-type"] == "application/gzip" and r.headers["digest"] == digest


def test_code_is_refused_by_functions_that_run_none_and_unknown_functions(gh):
    org = new_function(gh, {"runtime": "http", "http": {"url": "http://127.0.0.1:9/"}})
    problem = assert_problem(upload(gh, org, HELLO), 409)
    assert "runs no uploaded code" in problem["detail"]
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}/functions/ghost/code?filename=main.py", content=HELLO,
                          headers={"content-type": "application/octet-stream"}), 404)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/functions/fn/code"), 404)


def test_uploads_need_a_name_a_known_type_and_a_body(gh):
    org = new_function(gh)
    assert_problem(upload(gh, org, HELLO, query=""), 400, field="filename")
    assert_problem(upload(gh, org, HELLO, query="?filename=..%2Fmain.py"), 400)
    assert_problem(upload(gh, org, HELLO, "application/json"), 415)
    assert_problem(upload(gh, org, b""), 400)
    assert_problem(upload(gh, org, b"not a zip at all", "application/zip", ""), 400)
    # Content-Disposition names the file as well as ?filename=.
    r = gh.api("PUT", f"/v1/orgs/{org}/functions/fn/code", content=HELLO,
               headers={"content-type": "application/octet-stream", "content-disposition": 'attachment; filename="main.py"'})
    assert check(r, 202).json()["code"]["filename"] == "main.py"


def test_max_code_bytes_bounds_uploads(gatehouse_factory):
    gh = gatehouse_factory("--max-code-bytes", "4096", name="gatehouse-small-code")
    org = new_function(gh)
    assert_problem(upload(gh, org, b"#" * 5000), 413)
    check(upload(gh, org, HELLO), 202)


def test_code_and_status_in_a_body_are_ignored(gh):
    org = gh.create_org(uniq("code"))
    forged = {"code": {"digest": "sha256:" + "0" * 64, "size": 1, "format": "zip"}, "status": {"state": "ready"}}
    created = check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **PROCESS, **forged}), 201).json()
    assert "code" not in created and created["status"]["state"] == "pending", created
    proxy = check(gh.api("POST", f"/v1/orgs/{org}/functions",
                         {"name": "proxy", "runtime": "http", "http": {"url": "http://127.0.0.1:9/"}, **forged}), 201).json()
    assert "code" not in proxy and proxy["status"]["state"] == "ready", proxy
    replaced = check(gh.api("PUT", f"/v1/orgs/{org}/functions/fn", {**PROCESS, "timeoutMs": 5000, **forged}), 200).json()
    assert "code" not in replaced and replaced["status"]["state"] == "pending" and replaced["timeoutMs"] == 5000, replaced


@pytest.mark.needs_driver
def test_a_changed_runtime_waits_for_the_code_again(gh):
    org = new_function(gh)
    check(upload(gh, org, HELLO), 202)
    assert wait_built(gh, org)["status"]["state"] == "ready"
    kept = check(gh.api("PUT", f"/v1/orgs/{org}/functions/fn", {**PROCESS, "timeoutMs": 4000}), 200).json()
    assert kept["status"]["state"] == "ready" and kept["code"]["filename"] == "main.py", kept
    changed = check(gh.api("PUT", f"/v1/orgs/{org}/functions/fn",
                           {"runtime": "process", "process": {"language": "python3", "handler": "main.other"}}), 200).json()
    assert changed["status"]["state"] == "pending" and "upload the code again" in changed["status"]["reason"], changed


@pytest.mark.needs_driver
def test_the_cli_from_a_directory_to_an_invoked_function_and_its_runs(gh, cli, tmp_path):
    org = gh.create_org(uniq("cli-code"))
    source = tmp_path / "hello"
    (source / "lib").mkdir(parents=True)
    (source / "main.py").write_bytes(HELLO)
    (source / "lib" / "__init__.py").write_text("")
    schema = tmp_path / "in.json"
    schema.write_text(json.dumps({"type": "object"}))
    created = json.loads(cli("function", "create", "hello", "--org", org, "--runtime", "process", "--language", "python3",
                             "--handler", "main.handle", "--env", "STAGE=test", "--max-concurrency", "4",
                             "--schema-in", str(schema), "--code", str(source), "-o", "json").stdout)
    assert created["code"]["format"] == "tar.gz" and created["process"]["handler"] == "main.handle", created
    assert created["env"] == {"STAGE": "test"} and created["maxConcurrency"] == 4 and created["schema"]["in"] == {"type": "object"}
    deadline = time.monotonic() + 30
    while "ready" not in cli("function", "get", "hello", "--org", org).stdout:
        assert time.monotonic() < deadline, cli("function", "get", "hello", "--org", org, "-o", "json").stdout
        time.sleep(0.1)
    table = cli("function", "list", "--org", org).stdout
    assert "STATUS" in table and "ready" in table and "python3 main.handle" in table, table

    called = cli("invoke", "hello", "--org", org, "--data", '{"x": 1}')
    assert json.loads(called.stdout) == {"hello": '{"x": 1}'}
    run_id = called.stderr.split()[1]
    assert run_id.startswith("run_"), called.stderr
    # A payload refused by schema.in: exit 1, the problem readable on stderr (its JSON with -o json).
    refused = cli("invoke", "hello", "--org", org, "--data", "[1]", expect=1)
    assert refused.stdout == "" and refused.stderr.startswith("run ") and "error: " in refused.stderr, refused.stderr
    refused = cli("invoke", "hello", "--org", org, "--data", "[1]", "-o", "json", expect=1)
    assert json.loads(refused.stdout)["status"] == 400

    queued = cli("invoke", "hello", "--org", org, "--data", "@" + str(schema), "--async")
    queued_id = queued.stdout.strip()
    assert queued_id.startswith("run_") and queued_id in queued.stderr

    deadline = time.monotonic() + 30
    while True:
        runs = json.loads(cli("run", "list", "--org", org, "--function", "hello", "-o", "json").stdout)
        if {run_id, queued_id} <= {r["id"] for r in runs} and all(r.get("finishedAt") for r in runs):
            break
        assert time.monotonic() < deadline, runs
        time.sleep(0.1)
    shown = cli("run", "get", run_id, "--org", org).stdout
    assert "succeeded" in shown and "hello from POST" in shown, shown
    assert run_id in cli("run", "list", "--org", org).stdout

    # A single file replaces the code; `code get` gives it back.
    single = tmp_path / "main.py"
    single.write_bytes(HELLO.replace(b"world", b"again"))
    assert "uploaded" in cli("function", "code", "upload", "hello", str(single), "--org", org).stdout
    downloaded = tmp_path / "downloaded.py"
    cli("function", "code", "get", "hello", "--org", org, "-f", str(downloaded))
    assert downloaded.read_bytes() == single.read_bytes()
