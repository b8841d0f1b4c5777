"""What a newcomer types in the first minutes (issue 13): typos named as such with the nearest
command, the commands the examples' comments show, and a default org so `--org` is not needed on
every command."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from harness import gatehouse_bin, uniq

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
