"""`gatehouse apply -f FILE --prune` (issue 13): deletes what the file's orgs hold that the file no
longer declares, routes before the functions they use, only after a yes on a terminal or `--yes`;
refuses with no terminal, lists with --dry-run. And `--context NAME`, which picks a config-file
context for one command over GATEHOUSE_CONTEXT and the file's current context."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest

from harness import check, cli_at_home, gatehouse_bin, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def declared(org: str, upstream_url: str, *, keep_only: bool, timeout_ms: int = 5000) -> str:
    """An org with function `keep` and route `keep-rt`; unless `keep_only`, also function `drop`,
    the route `drop-rt` that uses it, and secret `drop-secret`."""
    docs = [f"kind: org\nname: {org}",
            f"kind: function\norg: {org}\nname: keep\nruntime: http\nhttp: {{url: '{upstream_url}/'}}\n"
            f"timeoutMs: {timeout_ms}",
            f"kind: route\norg: {org}\nname: keep-rt\nfunction: keep\npaths: [/keep]"]
    if not keep_only:
        docs += [f"kind: function\norg: {org}\nname: drop\nruntime: http\nhttp: {{url: '{upstream_url}/'}}",
                 f"kind: route\norg: {org}\nname: drop-rt\nfunction: drop\npaths: [/drop]",
                 f"kind: secret\norg: {org}\nname: drop-secret\nvalues: {{k: v}}"]
    return "\n---\n".join(docs) + "\n"


def names(gh, org: str, kind: str) -> set[str]:
    return {item["name"] for item in check(gh.api("GET", f"/v1/orgs/{org}/{kind}"), 200).json()["items"]}


def held(gh, org: str) -> dict[str, set[str]]:
    return {kind: names(gh, org, kind) for kind in ("functions", "routes", "secrets")}


FULL = {"functions": {"keep", "drop"}, "routes": {"keep-rt", "drop-rt"}, "secrets": {"drop-secret"}}
KEPT = {"functions": {"keep"}, "routes": {"keep-rt"}, "secrets": set()}


def setup(gh, tmp_path, upstream) -> tuple:
    cli = gh.cli(tmp_path)
    org, bystander = uniq("prune"), uniq("bystander")
    cli("apply", "-f", "-", input=declared(org, upstream.url, keep_only=False))
    cli("apply", "-f", "-", input=declared(bystander, upstream.url, keep_only=False))
    assert held(gh, org) == FULL
    return cli, org, bystander


def test_prune_with_yes_deletes_exactly_what_the_file_no_longer_declares(gh, tmp_path, upstream):
    cli, org, bystander = setup(gh, tmp_path, upstream)
    out = cli("apply", "-f", "-", "--prune", "--yes", input=declared(org, upstream.url, keep_only=True)).stdout
    assert held(gh, org) == KEPT, out
    lines = out.splitlines()
    for label in (f"route {org}/drop-rt", f"function {org}/drop", f"secret {org}/drop-secret"):
        assert f"{label} deleted" in lines, out
    # The route went before the function it used (the server refuses the other order).
    assert lines.index(f"route {org}/drop-rt deleted") < lines.index(f"function {org}/drop deleted"), out
    assert f"function {org}/keep unchanged" in lines and f"org {org} unchanged" in lines, out
    # An org the file does not declare is left as it was, and the declared org itself stays.
    assert held(gh, bystander) == FULL
    check(gh.api("GET", f"/v1/orgs/{org}"), 200)
    # Nothing left to prune: a second run deletes nothing.
    again = cli("apply", "-f", "-", "--prune", "--yes", input=declared(org, upstream.url, keep_only=True)).stdout
    assert "deleted" not in again, again


def test_prune_without_a_terminal_or_yes_refuses_and_changes_nothing(gh, tmp_path, upstream):
    cli, org, _ = setup(gh, tmp_path, upstream)
    before = check(gh.api("GET", f"/v1/orgs/{org}/functions/keep"), 200).json()
    p = cli("apply", "-f", "-", "--prune", input=declared(org, upstream.url, keep_only=True, timeout_ms=7000),
            expect=1)
    assert "no terminal to ask on" in p.stderr and "--yes" in p.stderr, p.stderr
    assert f"route {org}/drop-rt" in p.stderr, f"the refusal should list what would go: {p.stderr}"
    assert held(gh, org) == FULL
    # Refused before anything was applied: the changed timeout did not land either.
    assert check(gh.api("GET", f"/v1/orgs/{org}/functions/keep"), 200).json() == before


def test_prune_dry_run_lists_the_deletions_and_deletes_nothing(gh, tmp_path, upstream):
    cli, org, _ = setup(gh, tmp_path, upstream)
    out = cli("apply", "-f", "-", "--dry-run", "--prune", input=declared(org, upstream.url, keep_only=True)).stdout
    listed = [line for line in out.splitlines() if line.startswith("- ")]
    assert listed == [f"- route {org}/drop-rt would be deleted", f"- function {org}/drop would be deleted",
                      f"- secret {org}/drop-secret would be deleted"], out
    assert f"= function {org}/keep unchanged" in out, out
    assert held(gh, org) == FULL


def apply_on_a_terminal(gh, tmp_path, document: str, answer: str) -> subprocess.CompletedProcess:
    """`apply --prune` with a pseudo-terminal as standard input, answering the prompt with `answer`."""
    path = tmp_path / "declared.yaml"
    path.write_text(document)
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer.encode() + b"\n")  # waits in the terminal's input until the prompt reads it
        return subprocess.run(
            [str(gatehouse_bin()), "apply", "-f", str(path), "--prune"], stdin=secondary, capture_output=True,
            text=True, timeout=60, cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "GATEHOUSE_SERVER": gh.admin_url,
                 "GATEHOUSE_TOKEN": gh.token, "GATEHOUSE_CACERT": str(gh.ca)})
    finally:
        os.close(primary)
        os.close(secondary)


def test_prune_on_a_terminal_asks_and_only_a_yes_deletes(gh, tmp_path, upstream):
    _, org, _ = setup(gh, tmp_path, upstream)
    document = declared(org, upstream.url, keep_only=True)
    refused = apply_on_a_terminal(gh, tmp_path, document, "n")
    assert refused.returncode == 1 and "[y/N]" in refused.stderr, (refused.returncode, refused.stderr)
    assert "not confirmed" in refused.stderr, refused.stderr
    assert held(gh, org) == FULL
    accepted = apply_on_a_terminal(gh, tmp_path, document, "y")
    assert accepted.returncode == 0, (accepted.stdout, accepted.stderr)
    assert held(gh, org) == KEPT, accepted.stdout


def test_the_context_option_wins_over_the_environment_and_the_current_context(gh, tmp_path, upstream):
    home = tmp_path / "ctx-home"
    home.mkdir()

    run = cli_at_home(home)

    first, second = uniq("ctxopt"), uniq("ctxopt")
    for org in (first, second):
        gh.cli(tmp_path)("apply", "-f", "-", input=declared(org, upstream.url, keep_only=org == first))
    for name, org in (("one", first), ("two", second)):
        run("config", "set-context", name, "--server", gh.admin_url, "--token", gh.token, "--cacert", str(gh.ca),
            "--org", org)
    run("config", "use-context", "two")
    only_two = {"GATEHOUSE_CONTEXT": "two"}
    # The context's org is the default org for commands without --org, so the option must apply there too.
    functions = {f["name"] for f in json.loads(run("function", "list", "--context", "one", "-o", "json",
                                                   env=only_two).stdout)}
    assert functions == {"keep"}, functions
    shown = run("config", "show", "--context=one", env=only_two).stdout
    assert "context:     one" in shown and "org:         " + first in shown, shown
    # Without the option, the environment's context (and then the current one) is used as before.
    assert {f["name"] for f in json.loads(run("function", "list", "-o", "json").stdout)} == {"keep", "drop"}
    unknown = run("function", "list", "--context", "three", env=only_two, expect=1)
    assert "no context 'three'" in unknown.stderr and "known: one, two" in unknown.stderr, unknown.stderr
