"""`runtime: process`: code uploaded to Gatehouse and run by local worker processes (python3,
node, any executable), behind the same routes as any function. Real interpreters, real
processes, real uploads (single files, .tar.gz, .zip)."""

from __future__ import annotations

import io
import os
from pathlib import Path
import json
import tarfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import assert_problem, check, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def tar_gz(files: dict[str, str | bytes], modes: dict[str, int] | None = None, links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = (modes or {}).get(name, 0o644)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return out.getvalue()


def deploy(gh, function: dict, code: bytes, content_type: str, filename: str | None = None,
           secrets: dict | None = None, wait_ready: bool = True) -> tuple[str, dict]:
    org = gh.create_org(uniq("proc"))
    for name, values in (secrets or {}).items():
        check(gh.api("PUT", f"/v1/orgs/{org}/secrets/{name}", {"values": values}), 200, 201)
    created = check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **function}), 201).json()
    assert created["status"]["state"] == "pending", created
    query = f"?filename={filename}" if filename else ""
    r = gh.api("PUT", f"/v1/orgs/{org}/functions/fn/code{query}", content=code, headers={"content-type": content_type})
    uploaded = check(r, 202).json()
    assert uploaded["status"]["state"] == "building" and uploaded["code"]["digest"].startswith("sha256:"), uploaded
    fn = wait_built(gh, org) if wait_ready else uploaded
    route = {"name": "rt", "function": "fn", "paths": ["/call", "/call/{rest}"], "auth": {"mode": "none"}}
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", route))
    return org, fn


def wait_built(gh, org: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        fn = check(gh.api("GET", f"/v1/orgs/{org}/functions/fn"), 200).json()
        if fn["status"]["state"] != "building" or time.monotonic() > deadline:
            return fn
        time.sleep(0.05)


PY_HELLO = '''
import os, json, uuid
WORKER = uuid.uuid4().hex  # pids repeat across sandboxes (each has its own pid namespace)
def handle(request):
    print("handling", request.method, request.path)
    if request.path.endswith("/env"):
        return dict(os.environ)
    if request.path.endswith("/pid"):
        import time; time.sleep(float(request.query.split("=")[1]) if request.query else 0)
        return {"pid": WORKER}
    if request.path.endswith("/boom"):
        raise ValueError("no such order")
    if request.path.endswith("/exit"):
        os._exit(3)
    if request.path.endswith("/loop"):
        while True:
            pass
    if request.path.endswith("/status"):
        return 201, {"x-made": "yes"}, b"created"
    return {"hello": request.query or "world", "body": request.text}
'''


@pytest.fixture(scope="module")
def python_fn(gh):
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle", "maxInstances": 2},
                          "timeoutMs": 3000, "env": {"STAGE": "test"}},
                     PY_HELLO.encode(), "application/octet-stream", filename="main.py")
    assert fn["status"]["state"] == "ready", fn
    return org


def test_a_python_function_answers_through_the_edge_and_its_prints_are_its_runs_logs(gh, python_fn):
    with gh.client("h2") as c:
        r = check(c.post(f"/{python_fn}/call?name=ada", content=b"payload"), 200)
        assert r.json() == {"hello": "name=ada", "body": "payload"}
        r2 = check(c.get(f"/{python_fn}/call/status"), 201)
        assert r2.text == "created" and r2.headers["x-made"] == "yes"
    run = gh.finished_run(python_fn, r.headers["x-gatehouse-run-id"])
    assert run["status"] == "succeeded" and run["logs"] == "handling POST /call\n", run


def test_the_environment_is_cleared_to_what_the_function_declared(gh, python_fn):
    with gh.client("h2") as c:
        env = check(c.get(f"/{python_fn}/call/env"), 200).json()
    assert env["STAGE"] == "test" and env["GATEHOUSE_FUNCTION"] == "fn" and env["GATEHOUSE_ORG"] == python_fn
    allowed = {"STAGE", "PATH", "HOME", "TMPDIR", "LANG", "GATEHOUSE_SOCKET", "GATEHOUSE_SECRETS_DIR", "GATEHOUSE_FUNCTION",
               "GATEHOUSE_ORG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "LC_CTYPE", "PWD", "SHLVL", "_"}
    assert set(env) <= allowed, set(env) - allowed


def test_an_exception_is_a_function_error_with_its_traceback_in_the_logs(gh, python_fn):
    with gh.client("h2") as c:
        r = c.get(f"/{python_fn}/call/boom")
        body = assert_problem(r, 502, "function-failed")
        # The exception text is the function's and its operators': the run has it, the caller not.
        assert "no such order" not in body["detail"] and "ValueError" not in body["detail"], body
        run_id = r.headers["x-gatehouse-run-id"]
        assert f"gatehouse run get {run_id}" in body["detail"], body
        run = gh.finished_run(python_fn, run_id)
        assert run["errorType"] == "FunctionError" and "Traceback" in run["logs"] and "no such order" in run["logs"], run
        assert "ValueError: no such order" in run["error"], run
        check(c.get(f"/{python_fn}/call"), 200)


def test_a_crashed_worker_is_replaced(gh, python_fn):
    with gh.client("h2") as c:
        assert_problem(c.get(f"/{python_fn}/call/exit"), 502, "function-failed")
        check(c.get(f"/{python_fn}/call"), 200)


def test_a_stuck_function_is_stopped_at_its_timeout_and_the_next_call_works(gh, python_fn):
    with gh.client("h2") as c:
        started = time.monotonic()
        assert_problem(c.get(f"/{python_fn}/call/loop"), 504, "function-timeout")
        assert time.monotonic() - started < 6
        check(c.get(f"/{python_fn}/call"), 200)
    # The looping worker was killed: no python process spins on after its timeout.
    time.sleep(0.5)
    import subprocess
    busy = subprocess.run(["ps", "-eo", "pcpu,args"], capture_output=True, text=True).stdout
    assert not [line for line in busy.splitlines() if "bootstrap.py" in line and float(line.split()[0]) > 50], busy


def test_workers_scale_up_to_max_instances_under_concurrency(gh, python_fn):
    def call(_):
        with gh.client("h2") as own:
            return check(own.get(f"/{python_fn}/call/pid?s=0.6"), 200).json()["pid"]
    with ThreadPoolExecutor(4) as pool:
        pids = set(pool.map(call, range(4)))
    assert len(pids) == 2, pids  # maxInstances: 2, and the other callers waited for a free worker


def test_envelope_mode_with_secrets_as_files_and_context(gh):
    code = tar_gz({"app/__init__.py": "", "app/fn.py": '''
import os
def handle(context, payload):
    path = os.path.join(os.environ["GATEHOUSE_SECRETS_DIR"], "db", "password")
    with open(path) as f:
        from_file = f.read()
    print("using the database")
    return {"sum": sum(payload["numbers"]), "same": from_file == context["secrets"]["db"]["password"],
            "caller": context["caller"], "function": context["function"]}
'''})
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "app.fn.handle"},
                          "mode": "envelope", "secrets": ["db"]}, code, "application/gzip", secrets={"db": {"password": "pw-s3cret-value"}})
    assert fn["status"]["state"] == "ready", fn
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", json={"numbers": [1, 2, 3]}), 200)
    assert r.json() == {"sum": 6, "same": True, "caller": None, "function": "fn"}
    run = gh.finished_run(org, r.headers["x-gatehouse-run-id"])
    assert "pw-s3cret-value" not in json.dumps(run)


def test_a_node_function_from_a_zip(gh):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("index.js", "exports.handle = async (req) => ({ hello: 'node', method: req.method, body: req.text() });\n")
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "node", "handler": "index.handle"}},
                     out.getvalue(), "application/zip")
    assert fn["status"]["state"] == "ready", fn
    with gh.client("h2") as c:
        assert check(c.put(f"/{org}/call", content=b"hi"), 200).json() == {"hello": "node", "method": "PUT", "body": "hi"}


def test_an_exec_function_speaks_the_same_protocol(gh):
    server = '''#!/usr/bin/env python3
import os, socket
s = socket.socket(socket.AF_UNIX); s.bind(os.environ["GATEHOUSE_SOCKET"]); s.listen(1)
while True:
    c, _ = s.accept()
    data = b""
    while b"\\r\\n\\r\\n" not in data:
        chunk = c.recv(65536)
        if not chunk: break
        data += chunk
    if not data: c.close(); continue
    body = b"exec says hi"
    c.sendall(b"HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\ncontent-length: %d\\r\\n\\r\\n%s" % (len(body), body))
    c.close()
'''
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "exec", "handler": "bin/server"}},
                     tar_gz({"bin/server": server}, modes={"bin/server": 0o755}), "application/gzip")
    assert fn["status"]["state"] == "ready", fn
    with gh.client("h2") as c:
        assert check(c.get(f"/{org}/call"), 200).text == "exec says hi"


def test_a_function_without_code_is_503_and_says_why(gh):
    org = gh.create_org(uniq("proc"))
    check(gh.api("POST", f"/v1/orgs/{org}/functions",
                 {"name": "fn", "runtime": "process", "process": {"language": "python3", "handler": "main.handle"}}), 201)
    route = {"name": "rt", "function": "fn", "paths": ["/call"], "auth": {"mode": "none"}}
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", route))
    with gh.client("h2") as c:
        r = c.get(f"/{org}/call")
    body = assert_problem(r, 503, "function-not-ready")
    assert "gatehouse run get" in body["detail"], body
    # why is for the function's operators: the run and the function's status say it
    assert "no code uploaded" in gh.finished_run(org, r.headers["x-gatehouse-run-id"])["error"]


def test_a_missing_handler_is_a_build_error_naming_the_file(gh):
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "app.handle"}},
                     b"def handle(r): return 'x'", "application/octet-stream", filename="main.py")
    assert fn["status"]["state"] == "error" and "app.py" in fn["status"]["reason"], fn
    with gh.client("h2") as c:
        assert_problem(c.get(f"/{org}/call"), 503, "function-not-ready")


@pytest.mark.parametrize("archive, entry", [
    (lambda: tar_gz({"../evil.py": "x"}), "../evil.py"),
    (lambda: tar_gz({"/etc/evil.py": "x"}), "/etc/evil.py"),
    (lambda: tar_gz({"ok.py": "x"}, links={"link": "../../../etc/passwd"}), "link"),
])
def test_hostile_archives_are_refused_with_the_entry_named(gh, archive, entry):
    org = gh.create_org(uniq("proc"))
    check(gh.api("POST", f"/v1/orgs/{org}/functions",
                 {"name": "fn", "runtime": "process", "process": {"language": "python3", "handler": "main.handle"}}), 201)
    r = gh.api("PUT", f"/v1/orgs/{org}/functions/fn/code", content=archive(), headers={"content-type": "application/gzip"})
    body = assert_problem(r, 400, "invalid-field", field="code")
    assert entry in body["detail"], body


def test_uploads_are_checked(gh):
    org = gh.create_org(uniq("proc"))
    check(gh.api("POST", f"/v1/orgs/{org}/functions",
                 {"name": "fn", "runtime": "process", "process": {"language": "python3", "handler": "main.handle"}}), 201)
    path = f"/v1/orgs/{org}/functions/fn/code"
    assert_problem(gh.api("PUT", path, content=b"x", headers={"content-type": "application/octet-stream"}), 400, "invalid-field",
                   field="filename")
    assert_problem(gh.api("PUT", path, content=b"x", headers={"content-type": "text/html"}), 415)
    assert_problem(gh.api("PUT", path, content=b"not a tarball", headers={"content-type": "application/gzip"}), 400)
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "web", "runtime": "http", "http": {"url": "http://127.0.0.1:9/"}}), 201)
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}/functions/web/code?filename=a.py", content=b"x",
                          headers={"content-type": "application/octet-stream"}), 409)
    # The server's fields cannot be written by a client.
    r = gh.api("PUT", f"/v1/orgs/{org}/functions/fn", {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"},
                                                     "status": {"state": "ready"}, "code": {"digest": "sha256:00", "size": 1, "format": "file"}})
    fn = check(r, 200).json()
    assert fn["status"]["state"] == "pending" and "code" not in fn, fn


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    """Exists and is not a zombie (a killed worker's sandbox may wait to be reaped by init)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def test_workers_die_with_a_killed_gatehouse_and_the_next_start_removes_what_it_left(gatehouse):
    """A Gatehouse killed with SIGKILL cannot stop its workers: they must die with it (bubblewrap's
    --die-with-parent, or setpriv --pdeathsig), and its work root (sockets, secret files) must not
    stay in /tmp for good: the next start removes it."""
    gh = gatehouse
    org, _ = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"},
                         "secrets": ["db"]}, PY_HELLO.encode(), "application/octet-stream", filename="main.py",
                    secrets={"db": {"password": "pw-left-behind"}})
    with gh.client("h2") as c:
        check(c.get(f"/{org}/call"), 200)
    pid = gh.proc.pid
    workers = [p for p in _descendants(pid) if _running(p)]
    assert workers, "no worker process under gatehouse"
    roots = list(Path("/tmp").glob(f"gatehouse-{pid}-*"))
    assert len(roots) == 1 and list(roots[0].glob("*/w*/secrets/db/password")), roots

    gh.kill9()
    deadline = time.monotonic() + 5
    while any(_running(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in workers if _running(p)], "workers outlived the gatehouse that started them"
    assert roots[0].exists()  # nobody was left to remove it

    gh.start()
    with gh.client("h2") as c:
        check(c.get(f"/{org}/call"), 200)
    assert not roots[0].exists(), "the next start left the killed one's work root in /tmp"


# --- the sandbox: storage, processes, system calls, the host uid --------------------------------

PY_SANDBOX = (Path(__file__).parent / "sandbox_probe.py").read_text()


@pytest.fixture(scope="module")
def sandbox_fn(gh):
    org, fn = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle",
                                                            "fileSizeMB": 2, "tmpMB": 8, "maxProcesses": 32}},
                     PY_SANDBOX.encode(), "application/octet-stream", filename="main.py")
    assert fn["status"]["state"] == "ready" and not fn["status"].get("warnings"), fn
    assert fn["process"]["fileSizeMB"] == 2 and fn["process"]["tmpMB"] == 8 and fn["process"]["maxProcesses"] == 32, fn
    return org


@pytest.mark.parametrize("directory, megabytes, error, most", [
    ("TMPDIR", 16, "EFBIG", 2),   # fileSizeMB: one file of at most 2 MiB
    ("/tmp", 2, None, 2),         # at the limit: written whole
])
def test_a_file_past_file_size_mb_fails_with_efbig_and_the_gateway_stays_healthy(gh, sandbox_fn, directory, megabytes, error, most):
    with gh.client("h2") as c:
        r = check(c.get(f"/{sandbox_fn}/call/fill?{directory},{megabytes}"), 200).json()
        assert r.get("errno") == error and r["written"] <= most, r
        assert check(c.get(f"/{sandbox_fn}/call"), 200).text == "ok"


def test_temporary_space_is_bounded_by_tmp_mb_in_tmp_and_tmpdir_alike(gh):
    org, _ = deploy(gh, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle",
                                                           "fileSizeMB": 64, "tmpMB": 4}},
                    PY_SANDBOX.encode(), "application/octet-stream", filename="main.py")
    with gh.client("h2") as c:
        for directory in ("/tmp", "TMPDIR"):
            r = check(c.get(f"/{org}/call/fill?{directory},32"), 200).json()
            assert r.get("errno") == "ENOSPC" and r["written"] <= 4, (directory, r)
        assert check(c.get(f"/{org}/call"), 200).text == "ok"
    check(gh.api("GET", "/healthz"), 200)


def test_the_limits_are_checked_and_named(gh):
    org = gh.create_org(uniq("proc"))
    for field, value in [("fileSizeMB", 0), ("tmpMB", 20000), ("maxProcesses", 2)]:
        r = gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "process",
                                                          "process": {"language": "python3", "handler": "main.handle", field: value}})
        assert_problem(r, 400)
        assert f"process.{field}" in r.text, r.text


def test_refused_system_calls_fail_with_eperm_and_nested_user_namespaces_cannot_be_made(gh, sandbox_fn):
    with gh.client("h2") as c:
        traced = check(c.get(f"/{sandbox_fn}/call/ptrace"), 200).json()
        assert traced == {"result": -1, "errno": "EPERM"}, traced
        unshared = check(c.get(f"/{sandbox_fn}/call/unshare"), 200).json()
        assert unshared == {"result": -1, "errno": "EPERM"}, unshared
        nested = check(c.get(f"/{sandbox_fn}/call/nested"), 200).json()
        assert nested["status"] != 0, nested
        assert check(c.get(f"/{sandbox_fn}/call"), 200).text == "ok"


def test_the_worker_uid_on_the_host_is_what_the_readme_says(gh, sandbox_fn):
    """The README's claim, checked from the host's side: a worker is uid 65534 in its user
    namespace, and `nobody` (65534) on the host when Gatehouse runs as root (else Gatehouse's
    own uid): bubblewrap itself runs as that user."""
    with gh.client("h2") as c:
        check(c.get(f"/{sandbox_fn}/call"), 200)
    workers = [p for p in _descendants(gh.proc.pid) if _running(p)
               and b"GATEHOUSE_ORG=" + sandbox_fn.encode() + b"\0" in _environ(p)]
    assert workers, "no worker of the function under gatehouse"
    inside = []
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        assert set(uids) == {"65534" if os.geteuid() == 0 else str(os.getuid())}, (pid, uids)
        inside.append(Path(f"/proc/{pid}/uid_map").read_text().split()[0])
    # bubblewrap itself runs in the host's namespace; the worker is 65534 in its own.
    assert "65534" in inside, inside


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes() + b"\0"
    except OSError:
        return b""


def test_forking_past_max_processes_fails_with_eagain_and_the_gateway_stays_healthy(gh, sandbox_fn):
    with gh.client("h2") as c:
        r = check(c.get(f"/{sandbox_fn}/call/fork"), 200).json()
        assert r["errno"] == "EAGAIN" and r["forked"] < 32, r
        assert check(c.get(f"/{sandbox_fn}/call"), 200).text == "ok"
    check(gh.api("GET", "/healthz"), 200)
