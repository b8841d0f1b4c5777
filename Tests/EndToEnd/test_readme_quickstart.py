"""The README's quickstart, run as written: the ```sh readme-quickstart blocks of README.md,
extracted and run by bash in a fresh directory, so the README and the CLI cannot drift apart
(issue 13). It runs in a network namespace of its own (root: `unshare --net`), so the
quickstart's fixed ports 8443, 9443 and 9000 are free whatever else runs on the machine.

Glue around the blocks, none inside them: `swift` is a stand-in that says the binary is built
(the test runs the binary under test, never a release build); between blocks the test waits
until the server it started answers; `curl` retries a 404 for a few seconds, as a person would
who ran it before the new route reached the edge."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import gatehouse_bin, require_tool

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```sh readme-quickstart\n(.*?)^```$", re.S | re.M)

SWIFT_STAND_IN = """#!/bin/sh
[ "$*" = "build -c release --product gatehouse" ] || { echo "unexpected: swift $*" >&2; exit 1; }
echo "(test) .build/release/gatehouse is the binary under test"
"""

WAIT_FOR_SERVER = """
for _ in $(seq 600); do
  [ -s certs/ca.pem ] && command curl -s -o /dev/null --cacert certs/ca.pem https://localhost:9443/healthz && break
  sleep 0.1
done
command curl -sS -o /dev/null --cacert certs/ca.pem https://localhost:9443/healthz
"""

CURL_RETRYING_404 = """
curl() { command curl --fail-with-body --retry 10 --retry-delay 1 --retry-all-errors "$@"; }
"""


def quickstart_blocks() -> list[str]:
    return BLOCK.findall((REPO / "README.md").read_text())


def test_the_readme_has_quickstart_blocks_with_the_commands_a_newcomer_needs():
    text = "\n".join(quickstart_blocks())
    for expected in ("swift build -c release --product gatehouse", "gatehouse serve > gatehouse.log",
                     "gatehouse org create acme", "gatehouse route create", "curl --http2"):
        assert expected in text, f"the README quickstart lost '{expected}'"


def test_the_readme_quickstart_runs_as_written(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("this test needs root for a network namespace of its own (unshare --net)")
    require_tool("unshare")
    require_tool("curl")
    work = tmp_path / "quickstart"
    (work / ".build" / "release").mkdir(parents=True)
    os.symlink(gatehouse_bin(), work / ".build" / "release" / "gatehouse")
    shutil.copytree(REPO / "examples", work / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "swift").write_text(SWIFT_STAND_IN)
    (bin_dir / "swift").chmod(0o755)
    blocks = quickstart_blocks()
    assert len(blocks) >= 2, "the README has no quickstart blocks"
    script = ["set -euo pipefail", "shopt -s expand_aliases", "ip link set lo up", "trap 'kill $(jobs -p) 2>/dev/null' EXIT",
              blocks[0], WAIT_FOR_SERVER, CURL_RETRYING_404, *blocks[1:]]
    env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(tmp_path / "home")}
    p = subprocess.run(["unshare", "--net", "bash", "-c", "\n".join(script)], capture_output=True, text=True,
                       cwd=work, env=env, timeout=180, stdin=subprocess.DEVNULL)
    log = (work / "gatehouse.log").read_text() if (work / "gatehouse.log").exists() else "(no gatehouse.log)"
    assert p.returncode == 0, f"the quickstart failed (exit {p.returncode})\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}\n--- server log\n{log[-3000:]}"
    assert "x-gatehouse-param-id" in p.stdout and '"42"' in p.stdout, p.stdout
    assert '"name":"echo-v2"' in p.stdout.replace(" ", ""), p.stdout
    assert "edge listening" in log, "the quickstart's server log went somewhere else"
