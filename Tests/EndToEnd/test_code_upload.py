"""Function code through the admin API and the CLI: uploads stored by digest (the same bytes
twice are one upload), downloaded as they went in, bounded by `--max-code-bytes`; `code` and
`status` are the server's whatever a body says; and the CLI's path from a directory on disk to
an invoked function and its runs.

Hostile archives are in test_process_runtime.py. Tests marked `needs_driver` build and run the
code, so they need the `process` driver (python3 on the machine); the others only the API."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile

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


# --- Storage quota, collection of unused code, build checks ------------------------------------

def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def padded_code(tag: str, unpacked: int) -> bytes:
    """A small zip (zeros compress to almost nothing) that unpacks to about `unpacked` bytes."""
    return zip_of({"main.py": HELLO + f"TAG = {tag!r}\n".encode(), "padding.bin": b"\0" * unpacked})


def code_entries(gh) -> tuple[set[str], set[str]]:
    """What the code directory holds: unpacked entries and blobs (staging excluded)."""
    root = gh.data_dir / "code"
    unpacked = {p.name for p in root.iterdir() if p.name != "blobs" and not p.name.startswith(".")}
    blobs = {p.name for p in (root / "blobs").iterdir() if not p.name.startswith(".")} if (root / "blobs").exists() else set()
    return unpacked, blobs


def disk_bytes(path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def wait_for(condition, what: str, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


def org_status(gh, org: str) -> dict:
    return check(gh.api("GET", f"/v1/orgs/{org}"), 200).json()["status"]


@pytest.fixture(scope="module")
def quota_gh(gatehouse_factory):
    return gatehouse_factory("--org-storage-quota-bytes", "3000000", name="gatehouse-quota")


@pytest.mark.needs_driver
def test_replaced_code_goes_at_once_and_usage_stays_within_the_quota(quota_gh):
    gh = quota_gh
    org = new_function(gh)
    assert org_status(gh, org) == {"storageLimitBytes": 3000000, "storageUsedBytes": 0}
    before = disk_bytes(gh.data_dir / "code")
    sizes = []
    for i in range(8):
        code = padded_code(f"v{i}", 1_000_000)
        saved = check(upload(gh, org, code, "application/zip", ""), 202).json()["code"]
        hex_ = saved["digest"].split(":")[1]
        # Only this upload is left on disk: the one before it went when nothing named it.
        wait_for(lambda: code_entries(gh) == ({hex_}, {hex_}), f"only upload {i} on disk")
        used = org_status(gh, org)["storageUsedBytes"]
        assert used == saved["size"] + saved["unpackedBytes"] <= 3000000
        sizes.append(used)
    grown = disk_bytes(gh.data_dir / "code") - before
    assert grown <= max(sizes), (before, grown, sizes)


@pytest.mark.needs_driver
def test_an_upload_past_the_quota_is_refused_and_leaves_nothing_on_disk(quota_gh):
    gh = quota_gh
    org = gh.create_org(uniq("quota"))
    for fn in ("a", "b", "c"):
        check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": fn, **PROCESS}), 201)
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/a/code", content=padded_code("a", 1_200_000),
                 headers={"content-type": "application/zip"}), 202)
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/b/code", content=padded_code("b", 1_200_000),
                 headers={"content-type": "application/zip"}), 202)
    used = org_status(gh, org)["storageUsedBytes"]
    assert 2_400_000 < used <= 3_000_000
    wait_for(lambda: len(code_entries(gh)[1]) >= 2, "both uploads stored")
    on_disk, disk = code_entries(gh), disk_bytes(gh.data_dir / "code")

    # Past the quota once unpacked (the zip itself is small), and as a file larger than the room.
    for content, content_type, query in [
        (padded_code("c", 1_200_000), "application/zip", ""),
        (tar_gz({"main.py": HELLO, "padding.bin": b"\0" * 1_200_000}), "application/gzip", ""),
        (b"#" * 700_000, "application/octet-stream", "?filename=main.py"),
    ]:
        r = gh.api("PUT", f"/v1/orgs/{org}/functions/c/code{query}", content=content, headers={"content-type": content_type})
        problem = assert_problem(r, 413, "storage-quota-exceeded")
        assert org in problem["detail"] and "3000000" in problem["detail"], problem
        assert code_entries(gh) == on_disk and disk_bytes(gh.data_dir / "code") == disk
    assert org_status(gh, org)["storageUsedBytes"] == used

    # The org's own quota overrides the server's; its status says which applies.
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}", {"storageQuotaBytes": -1}), 400, field="storageQuotaBytes")
    raised = check(gh.api("PUT", f"/v1/orgs/{org}", {"storageQuotaBytes": 5_000_000, "status": {"storageUsedBytes": 0, "storageLimitBytes": 1}}), 200).json()
    assert raised["storageQuotaBytes"] == 5_000_000 and raised["status"] == {"storageLimitBytes": 5_000_000, "storageUsedBytes": used}
    third = check(gh.api("PUT", f"/v1/orgs/{org}/functions/c/code", content=padded_code("c", 1_200_000),
                         headers={"content-type": "application/zip"}), 202).json()["code"]

    # A deleted function's code goes at once too.
    check(gh.api("DELETE", f"/v1/orgs/{org}/functions/c"), 204)
    gone = third["digest"].split(":")[1]
    wait_for(lambda: gone not in code_entries(gh)[0] and gone not in code_entries(gh)[1], "the deleted function's code removed")
    assert org_status(gh, org)["storageUsedBytes"] == used


def test_unreadable_archives_are_refused_without_host_paths_or_tool_output(gh):
    org = new_function(gh)
    valid_zip = zip_of({"main.py": HELLO})
    for content, content_type in [
        (b"not a zip at all", "application/zip"),
        (valid_zip[: len(valid_zip) // 2], "application/zip"),
        (valid_zip[:30] + b"\xff" * 200 + valid_zip[230:], "application/zip"),
        (b"\x1f\x8b" + b"garbage" * 40, "application/gzip"),
        (b"plain text, not gzip", "application/gzip"),
    ]:
        problem = assert_problem(upload(gh, org, content, content_type, ""), 400, field="code")
        text = json.dumps(problem)
        for leak in ("Traceback", "tar:", "gzip:", str(gh.data_dir), "/tmp", "File \\\""):
            assert leak not in text, problem
        assert "cannot be read" in problem["detail"], problem
    unpacked, blobs = code_entries(gh)
    assert not any(hashlib.sha256(c).hexdigest() in blobs for c in (b"not a zip at all", b"plain text, not gzip"))


@pytest.mark.needs_driver
@pytest.mark.parametrize("language,handler,filename,source,where", [
    ("python3", "main.handle", "main.py", b"def handle(request)\n    return 1\n", "main.py, line 1: SyntaxError: expected ':'"),
    ("node", "index.handle", "index.js", b"exports.handle = async (req) => {\n  return {a: };\n};\n", "index.js, line 2: SyntaxError"),
])
def test_a_handler_that_does_not_compile_builds_to_an_error_saying_where(gh, language, handler, filename, source, where):
    org = new_function(gh, {"runtime": "process", "process": {"language": language, "handler": handler}})
    check(upload(gh, org, source, query=f"?filename={filename}"), 202)
    status = wait_built(gh, org)["status"]
    assert status["state"] == "error" and status["reason"].startswith(where), status
    assert str(gh.data_dir) not in status["reason"]
    # Invoking it says why, instead of starting a worker that dies.
    problem = assert_problem(gh.api("POST", f"/v1/orgs/{org}/functions/fn/invoke", {}), 503, "function-not-ready")
    assert where in problem["detail"], problem


def test_a_wasm_module_that_does_not_validate_builds_to_an_error(gh):
    org = new_function(gh, {"runtime": "wasm"})
    check(upload(gh, org, b'(module (func (export "_start") (drop (i32.add (i32.const 1)))))', query="?filename=fn.wat"), 202)
    status = wait_built(gh, org)["status"]
    assert status["state"] == "error" and status["reason"], status


def test_the_cli_sets_an_orgs_storage_quota(gh, cli):
    org = uniq("cli-quota")
    created = json.loads(cli("org", "create", org, "--storage-quota-bytes", "12345", "-o", "json").stdout)
    assert created["storageQuotaBytes"] == 12345 and created["status"] == {"storageLimitBytes": 12345, "storageUsedBytes": 0}
    updated = json.loads(cli("org", "update", org, "--storage-quota-bytes", "54321", "-o", "json").stdout)
    assert updated["status"]["storageLimitBytes"] == 54321, updated
    assert check(gh.api("GET", f"/v1/orgs/{org}"), 200).json()["storageQuotaBytes"] == 54321
