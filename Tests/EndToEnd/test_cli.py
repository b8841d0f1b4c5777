"""The `gatehouse` CLI against a live server: every resource's commands, apply -f, output
formats, error exits, and that secret values never reach the terminal. The CLI finds the
server through the environment here (GATEHOUSE_SERVER / _TOKEN / _CACERT), as a script would."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from harness import check, gatehouse_bin, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def cli(gh, tmp_path_factory):
    home = tmp_path_factory.mktemp("cli-home")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GATEHOUSE_SERVER": gh.admin_url,
        "GATEHOUSE_TOKEN": gh.token,
        "GATEHOUSE_CACERT": str(gh.ca),
    }

    def run(*args: str, input: str | None = None, expect: int | None = 0) -> subprocess.CompletedProcess:
        p = subprocess.run(
            [str(gatehouse_bin()), *args], capture_output=True, text=True, env=env, cwd=home,
            input=input, timeout=60)
        if expect is not None:
            assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
        return p

    return run


def test_org_function_route_lifecycle_reaches_the_edge(gh, cli, upstream):
    org = uniq("cli")
    created = json.loads(cli("org", "create", org, "--display-name", "CLI Org", "-o", "json").stdout)
    assert created["name"] == org and created["displayName"] == "CLI Org" and created["revision"] > 0
    cli("function", "create", "echo", "--org", org, "--url", f"{upstream.url}/base", "--timeout-ms", "5000")
    cli("route", "create", "echo", "--org", org, "--function", "echo", "--path", "/items/{id}", "--method", "GET")

    listed = json.loads(cli("route", "list", "--org", org, "-o", "json").stdout)
    assert [r["name"] for r in listed] == ["echo"] and listed[0]["paths"] == ["/items/{id}"]
    table = cli("function", "list", "--org", org).stdout
    assert "echo" in table and f"{upstream.url}/base" in table, table

    with gh.client("h2") as client:
        r = check(client.get(f"/{org}/items/42"), 200)
    assert r.json()["path"] == "/base/items/42"
    assert r.json()["headers"]["x-gatehouse-param-id"] == "42"

    # update changes only what is given, conditionally on the revision it read
    before = json.loads(cli("function", "get", "echo", "--org", org, "-o", "json").stdout)
    after = json.loads(cli("function", "update", "echo", "--org", org, "--timeout-ms", "7000", "-o", "json").stdout)
    assert after["timeoutMs"] == 7000 and after["http"] == before["http"] and after["revision"] > before["revision"]

    # a function in use cannot go; the route first, then the function, then the org
    p = cli("function", "delete", "echo", "--org", org, expect=1)
    assert "route 'echo'" in p.stderr, p.stderr
    cli("route", "delete", "echo", "--org", org)
    cli("function", "delete", "echo", "--org", org)
    cli("org", "delete", org)
    assert cli("org", "get", org, expect=1).stderr.lower().count("not found") >= 1


def test_secret_values_never_reach_the_terminal(cli):
    org = uniq("clisec")
    cli("org", "create", org)
    value = "s3cret-" + uniq("v")
    outputs = []
    for fmt in ("table", "json", "yaml"):
        name = f"db-{fmt}"
        outputs.append(cli("secret", "create", name, "--org", org, "--value", f"password={value}", "--value", "user=app", "-o", fmt))
        outputs.append(cli("secret", "get", name, "--org", org, "-o", fmt))
    outputs.append(cli("secret", "list", "--org", org, "-o", "json"))
    for p in outputs:
        assert value not in p.stdout and value not in p.stderr
    shown = json.loads(cli("secret", "get", "db-json", "--org", org, "-o", "json").stdout)
    assert shown["keys"] == ["password", "user"] and "values" not in shown


def test_apply_creates_in_dependency_order_and_is_idempotent(gh, cli, upstream, tmp_path):
    org = uniq("apply")
    doc = textwrap.dedent(f"""\
        kind: route
        org: {org}
        name: hello
        function: hello
        paths: [/hello]
        ---
        kind: function
        org: {org}
        name: hello
        runtime: http
        http: {{url: "{upstream.url}/"}}
        ---
        kind: org
        name: {org}
        """)
    path = tmp_path / "config.yaml"
    path.write_text(doc)
    first = cli("apply", "-f", str(path))
    assert f"route {org}/hello" in first.stdout + first.stderr
    with gh.client("h1") as client:
        check(client.get(f"/{org}/hello"), 200)
    cli("apply", "-f", "-", input=doc)  # stdin, and a second time: replaces, no error

    bad = cli("apply", "-f", "-", input=doc.replace("paths: [/hello]", "paths: [/hello]\nmethod: GET"), expect=1)
    assert "method" in bad.stderr, bad.stderr

    cli("delete", "-f", str(path))
    assert cli("org", "get", org, expect=1).returncode == 1


def test_errors_exit_nonzero_with_the_problem(cli):
    p = cli("org", "create", "Bad_Name", expect=1)
    assert "DNS label" in p.stderr, p.stderr
    org = uniq("dup")
    cli("org", "create", org)
    p = cli("org", "create", org, expect=1)
    assert "already exists" in p.stderr, p.stderr
    p = cli("org", "list", "--token", "wrong", expect=1)
    assert "401" in p.stderr or "nauthorized" in p.stderr, p.stderr
    p = cli("function", "create", "f", "--org", org, "--url", "http://x/", "--http-version", "3", expect=2)
    assert "1.1 or 2" in p.stderr, p.stderr
