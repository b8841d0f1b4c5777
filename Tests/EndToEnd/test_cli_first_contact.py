"""What a newcomer types in the first minutes (issue 13): typos named as such with the nearest
command, the commands the examples' comments show, and a default org so `--org` is not needed on
every command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

from harness import check, cli_at_home, gatehouse_bin, uniq

REPO = Path(__file__).resolve().parents[2]


def offline(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI with no server configured: parsing and local settings only."""
    return subprocess.run([str(gatehouse_bin()), *args], capture_output=True, text=True, timeout=60, cwd=home,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), **(env or {})})


@pytest.mark.parametrize("args, message", [
    (["rout", "list", "--org", "acme"], "unknown command 'rout' for 'gatehouse' (did you mean 'route'?)"),
    (["org", "creat", "beta"], "unknown command 'creat' for 'gatehouse org' (did you mean 'create'?)"),
    (["function", "code", "hello-py", "main.py", "--org", "acme"],
     "unknown command 'hello-py' for 'gatehouse function code' (one of: upload, get)"),
    (["fnction", "list"], "(did you mean 'function'?)"),
])
def test_an_unknown_subcommand_is_named_with_the_nearest(tmp_path, args, message):
    p = offline(tmp_path, *args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert message in p.stderr, p.stderr
    assert "Unknown option" not in p.stderr and "unexpected argument" not in p.stderr, p.stderr


def test_help_and_aliases_still_parse(tmp_path):
    assert "USAGE: gatehouse route" in offline(tmp_path, "help", "route").stdout
    assert offline(tmp_path, "runs", "list", "--help").returncode == 0  # `runs` is an alias of `run`


def example_commands() -> list[list[str]]:
    """Every `gatehouse ...` command in the comments of examples/*.yaml."""
    commands = []
    for path in sorted((REPO / "examples").glob("*.yaml")):
        for line in path.read_text().splitlines():
            match = re.match(r"#\s+(gatehouse\s.*?)(\s+\(.*)?$", line)
            if match:
                commands.append(match.group(1).split()[1:])
    return commands


def test_the_examples_comments_show_commands_that_exist(tmp_path):
    commands = example_commands()
    assert any(c[:3] == ["function", "code", "upload"] for c in commands), commands
    for args in commands:
        # --help after the words: parses the command path (and its options) without running it.
        p = offline(tmp_path, *args, "--help")
        assert p.returncode == 0 and "USAGE:" in p.stdout, (args, p.returncode, p.stderr)


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def test_default_org_from_config_use_org_and_gatehouse_org(gh, tmp_path, upstream):
    cli = gh.cli(tmp_path)
    first, second = uniq("dflt"), uniq("dflt")
    cli("org", "create", first)
    cli("org", "create", second)

    missing = cli("function", "list", expect=2)
    assert "missing --org" in missing.stderr and "gatehouse config use-org" in missing.stderr, missing.stderr

    said = cli("config", "use-org", first).stdout
    assert f"default org: {first}" in said, said
    config = (tmp_path / ".config" / "gatehouse" / "config.yaml").read_text()
    assert f"org: {first}" in config, config
    assert gh.token not in config, "use-org wrote the token into the config file"
    cli("function", "create", "echo", "--url", f"{upstream.url}/base")
    assert [f["org"] for f in json.loads(cli("function", "list", "-o", "json").stdout)] == [first]
    assert f"org:         {first}" in cli("config", "show").stdout

    # GATEHOUSE_ORG wins over the file; --org wins over both.
    env_run = subprocess.run([str(gatehouse_bin()), "function", "list", "-o", "json"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path,
                             env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
                                  "GATEHOUSE_SERVER": gh.admin_url, "GATEHOUSE_TOKEN": gh.token,
                                  "GATEHOUSE_CACERT": str(gh.ca), "GATEHOUSE_ORG": second})
    assert env_run.returncode == 0, env_run.stderr
    assert json.loads(env_run.stdout) == [], env_run.stdout
    assert [f["name"] for f in json.loads(cli("function", "list", "--org", first, "-o", "json").stdout)] == ["echo"]


def new_org(gh, tmp_path: Path, prefix: str):
    """The CLI against `gh` and a fresh org it created."""
    cli = gh.cli(tmp_path)
    org = uniq(prefix)
    cli("org", "create", org)
    return cli, org


def python_function(cli, tmp_path: Path, org: str, name: str, source: str, *flags: str) -> None:
    code = tmp_path / f"{name}.py"
    code.write_text(source)
    cli("function", "create", name, "--org", org, "--runtime", "process", "--language", "python3",
        "--handler", f"{name}.handle", *flags)
    cli("function", "code", "upload", name, str(code), "--org", org)


def test_invoke_prints_a_problem_readably_and_run_list_shows_logs(gh, tmp_path):
    cli, org = new_org(gh, tmp_path, "inv")
    python_function(cli, tmp_path, org, "chatty",
                    "import sys\ndef handle(request):\n    print('hello from the log', file=sys.stderr)\n"
                    "    return {'status': 200, 'body': 'ok'}\n")
    python_function(cli, tmp_path, org, "slow",
                    "import time\ndef handle(request):\n    time.sleep(10)\n    return {'status': 200, 'body': 'late'}\n",
                    "--timeout-ms", "1000")
    cli("invoke", "chatty", "--org", org)
    failed = cli("invoke", "slow", "--org", org, expect=1)
    assert failed.stdout == "", f"the problem's JSON went to stdout: {failed.stdout!r}"
    assert failed.stderr.endswith("\n"), repr(failed.stderr)
    error_lines = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
    assert error_lines and "{" not in error_lines[0], failed.stderr
    assert "request id: " in failed.stderr, failed.stderr

    table = cli("run", "list", "--org", org).stdout.splitlines()
    header = table[0].split()
    assert "LOGS" in header, table
    chatty = [line for line in table[1:] if line.split()[1] == "chatty"]
    assert len(chatty) == 1 and re.search(r"\bsync\s+\d+ B\+?\s", chatty[0]), table


def test_deleting_a_used_function_names_every_route(gh, tmp_path, upstream):
    cli, org = new_org(gh, tmp_path, "del")
    cli("function", "create", "echo", "--org", org, "--url", f"{upstream.url}/base")
    for route in ("alpha", "beta", "gamma"):
        cli("route", "create", route, "--org", org, "--function", "echo", "--path", f"/{route}")
    refused = cli("function", "delete", "echo", "--org", org, expect=1)
    assert "used by 3 routes: 'alpha', 'beta', 'gamma'" in refused.stderr, refused.stderr
    r = gh.api("DELETE", f"/v1/orgs/{org}/functions/echo")
    assert r.status_code == 409 and all(name in r.json()["detail"] for name in ("alpha", "beta", "gamma")), r.text


def test_a_wrong_token_is_called_not_valid(gh, tmp_path):
    cli = gh.cli(tmp_path)
    p = cli("org", "list", "--token", gh.token[:-3] + "xyz", expect=1)
    assert "the bearer token is not valid" in p.stderr and "not the platform admin token" in p.stderr, p.stderr
    assert "base64url" not in p.stderr, p.stderr


def test_apply_reports_unchanged_and_keeps_the_revision(gh, tmp_path, upstream):
    cli = gh.cli(tmp_path)
    org = uniq("apply")
    doc = (f"kind: org\nname: {org}\n---\nkind: function\norg: {org}\nname: echo\nruntime: http\n"
           f"http: {{url: '{upstream.url}/base'}}\ntimeoutMs: 5000\n---\nkind: route\norg: {org}\nname: echo\n"
           f"function: echo\npaths: [/hello]\n")
    first = cli("apply", "-f", "-", input=doc).stdout
    assert f"org {org} created" in first and f"route {org}/echo created" in first, first
    revisions = {r: check(gh.api("GET", f"/v1/orgs/{org}/{r}s/echo"), 200).json()["revision"] for r in ("function", "route")}

    again = cli("apply", "-f", "-", input=doc).stdout
    for label in (f"org {org}", f"function {org}/echo", f"route {org}/echo"):
        assert f"{label} unchanged" in again, again
    for kind, revision in revisions.items():
        assert check(gh.api("GET", f"/v1/orgs/{org}/{kind}s/echo"), 200).json()["revision"] == revision, kind

    changed = cli("apply", "-f", "-", input=doc.replace("timeoutMs: 5000", "timeoutMs: 6000")).stdout
    assert f"function {org}/echo configured" in changed and f"route {org}/echo unchanged" in changed, changed
    assert check(gh.api("GET", f"/v1/orgs/{org}/functions/echo"), 200).json()["revision"] > revisions["function"]


def test_function_get_and_route_get_show_working_public_urls(gh, tmp_path, upstream):
    import httpx

    from harness import ssl_context

    cli, org = new_org(gh, tmp_path, "urls")
    cli("function", "create", "echo", "--org", org, "--url", f"{upstream.url}/base")
    cli("route", "create", "echo", "--org", org, "--function", "echo", "--path", "/hello", "--path", "/items/{id}")
    shown = cli("route", "get", "echo", "--org", org).stdout
    assert f"URLS:\n  {gh.edge_url}/{org}/hello\n  {gh.edge_url}/{org}/items/{{id}}" in shown, shown
    function_shown = cli("function", "get", "echo", "--org", org).stdout
    assert f"  {gh.edge_url}/{org}/hello  (route echo)" in function_shown, function_shown
    r = httpx.get(f"{gh.edge_url}/{org}/hello", verify=ssl_context(gh.ca), timeout=10)
    assert check(r, 200).json()["path"] == "/base/hello"
    assert "URLS" not in cli("route", "get", "echo", "--org", org, "-o", "json").stdout


def test_logs_prints_recent_run_logs_and_follows_new_ones(gh, tmp_path):
    import time

    cli, org = new_org(gh, tmp_path, "logs")
    python_function(cli, tmp_path, org, "talker",
                    "import sys\ndef handle(request):\n    print('said ' + request.text, file=sys.stderr)\n"
                    "    return 'ok'\n")
    cli("invoke", "talker", "--org", org, "--data", "first")
    cli("invoke", "talker", "--org", org, "--data", "second")
    recent = cli("logs", "talker", "--org", org).stdout
    assert recent.count("--- run_") == 2 and "succeeded" in recent, recent
    assert recent.index("said first") < recent.index("said second"), f"not oldest first: {recent}"

    follower = subprocess.Popen(
        [str(gatehouse_bin()), "logs", "talker", "--org", org, "-f", "--tail", "1"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "GATEHOUSE_SERVER": gh.admin_url,
             "GATEHOUSE_TOKEN": gh.token, "GATEHOUSE_CACERT": str(gh.ca)})
    try:
        marker = uniq("followed")
        # The follower's first poll may come after this call: both are fine, it prints finished runs.
        cli("invoke", "talker", "--org", org, "--data", marker)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 30
        while not any(marker in line for line in list(lines)) and time.monotonic() < deadline and follower.poll() is None:
            time.sleep(0.1)
        seen = "".join(list(lines))
        assert marker in seen, f"logs -f did not print the new run's logs: {seen!r} {follower.poll()}"
        assert follower.poll() is None, "logs -f exited instead of following"
    finally:
        follower.terminate()
        follower.wait(10)


def test_named_contexts_switch_between_servers(gh, gatehouse_factory, tmp_path):
    other = gatehouse_factory(name="gatehouse-second-context")
    home = tmp_path / "ctx-home"
    home.mkdir()

    run = cli_at_home(home)

    first_org, second_org = uniq("ctxa"), uniq("ctxb")
    check(gh.api("POST", "/v1/orgs", {"name": first_org}), 201)
    check(other.api("POST", "/v1/orgs", {"name": second_org}), 201)
    run("config", "set-context", "one", "--server", gh.admin_url, "--token", gh.token, "--cacert", str(gh.ca),
        "--org", first_org)
    run("config", "set-context", "two", "--server", other.admin_url, "--token", other.token, "--cacert", str(other.ca))
    run("config", "use-context", "one")
    names = {o["name"] for o in json.loads(run("org", "list", "-o", "json").stdout)}
    assert first_org in names and second_org not in names, names
    run("config", "use-context", "two")
    names = {o["name"] for o in json.loads(run("org", "list", "-o", "json").stdout)}
    assert second_org in names and first_org not in names, names
    # GATEHOUSE_CONTEXT picks one per command; the context's org is the default org.
    assert "org:         " + first_org in run("config", "show", env={"GATEHOUSE_CONTEXT": "one"}).stdout
    unknown = run("org", "list", env={"GATEHOUSE_CONTEXT": "three"}, expect=1)
    assert "no context 'three'" in unknown.stderr and "known: one, two" in unknown.stderr, unknown.stderr
    assert run("config", "use-context", "three", expect=1).returncode == 1
    shown = run("config", "show").stdout
    assert gh.token not in shown and other.token not in shown, shown


def test_apply_dry_run_shows_the_diff_and_changes_nothing(gh, tmp_path, upstream):
    cli = gh.cli(tmp_path)
    org = uniq("dry")
    doc = (f"kind: org\nname: {org}\n---\nkind: function\norg: {org}\nname: echo\nruntime: http\n"
           f"http: {{url: '{upstream.url}/base'}}\ntimeoutMs: 5000\n")
    fresh = cli("apply", "-f", "-", "--dry-run", input=doc).stdout
    assert f"+ org {org} would be created" in fresh and f"+ function {org}/echo would be created" in fresh, fresh
    assert gh.api("GET", f"/v1/orgs/{org}").status_code == 404, "a dry run created the org"

    cli("apply", "-f", "-", input=doc)
    revision = check(gh.api("GET", f"/v1/orgs/{org}/functions/echo"), 200).json()["revision"]
    same = cli("apply", "-f", "-", "--dry-run", input=doc).stdout
    assert f"= org {org} unchanged" in same and f"= function {org}/echo unchanged" in same, same
    changed = cli("apply", "-f", "-", "--dry-run", input=doc.replace("timeoutMs: 5000", "timeoutMs: 7000")).stdout
    assert f"~ function {org}/echo would change:\n    timeoutMs: 5000 → 7000" in changed, changed
    assert check(gh.api("GET", f"/v1/orgs/{org}/functions/echo"), 200).json()["revision"] == revision
