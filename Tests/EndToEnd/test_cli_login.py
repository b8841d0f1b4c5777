"""`gatehouse login` / `logout` as a person uses them: the CLI asks for a device code and prints
where to sign in, a browser (httpx) completes the sign-in through the real OIDC provider, the CLI
stores the tokens (0600) and the admin commands use them — for their own org only — with no
admin token anywhere; logout revokes the refresh token and forgets the tokens."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import threading

import pytest
import yaml

from harness import gatehouse_bin, uniq
from test_device_login import approve, oauth_error, post, refresh
from test_login import idp, oidc_org  # noqa: F401  (idp is a fixture)


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory(name="gatehouse-cli-login")


@pytest.fixture
def home(tmp_path):
    return tmp_path


def cli_env(home) -> dict:
    # No GATEHOUSE_* at all: the server, CA and credential come from the stored login.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}


def cli(home, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    p = subprocess.run([str(gatehouse_bin()), *args], capture_output=True, text=True, env=cli_env(home), cwd=home, timeout=60)
    assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
    return p


def login(gh, home, org: str) -> str:
    """Runs `gatehouse login`, signs in as the browser once it printed the URL; its stderr."""
    p = subprocess.Popen(
        [str(gatehouse_bin()), "login", "--org", org, "--server", gh.admin_url, "--cacert", str(gh.ca)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(home), cwd=home)
    lines: list[str] = []
    found = threading.Event()

    def read():
        for line in p.stderr:
            lines.append(line)
            if "user_code=" in line:
                found.set()
        found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert found.wait(20), "".join(lines)
        url = next(m.group(0) for line in lines if (m := re.search(r"https://\S+user_code=\S+", line)))
        approve(gh, {"verification_uri_complete": url, "user_code": url.rsplit("user_code=", 1)[1]})
        assert p.wait(30) == 0, "".join(lines)
    finally:
        if p.poll() is None:
            p.kill()
    reader.join(5)
    return "".join(lines)


def config(home) -> dict:
    return yaml.load((home / ".config/gatehouse/config.yaml").read_text(), Loader=yaml.BaseLoader)  # strings only


def test_login_then_admin_commands_with_the_stored_token_then_logout(gh, idp, home):  # noqa: F811
    org = oidc_org(gh, idp)
    other = gh.create_org(uniq("other"))
    out = login(gh, home, org)
    assert f"{gh.admin_url}/auth/device" in out and re.search(r"enter the code [B-Z]{4}-[B-Z]{4}", out), out
    # The output says whom the login names and which groups it carried (issue 14, point 7).
    assert "As alice (alice@example.com), in groups: eng, ops." in out, out

    path = home / ".config/gatehouse/config.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = config(home)["login"]
    assert stored["org"] == org and stored["server"] == gh.admin_url and stored["cacert"] == str(gh.ca)
    assert stored["refreshToken"].startswith("grt_") and stored["accessTokenExpiresAt"].endswith("Z")
    assert stored["accessToken"] not in out and stored["refreshToken"] not in out

    # The stored token manages its own org, once a policy gives the user a role...
    gh.bind(org, "developer", "user:alice@example.com")
    cli(home, "function", "create", "echo", "--org", org, "--url", "http://127.0.0.1:9/")
    assert "echo" in cli(home, "function", "list", "--org", org).stdout
    # ... and nothing else.
    p = cli(home, "function", "list", "--org", other, expect=1)
    assert "Forbidden" in p.stderr, p.stderr

    # An expired access token is refreshed, and the rotated pair stored.
    doc = config(home)
    doc["login"]["accessTokenExpiresAt"] = "2000-01-01T00:00:00Z"
    path.write_text(yaml.safe_dump(doc))
    cli(home, "function", "list", "--org", org)
    rotated = config(home)["login"]
    assert rotated["refreshToken"] != stored["refreshToken"] and rotated["accessToken"] != stored["accessToken"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # A refused access token (here: not a token at all) is refreshed once and the call retried.
    doc = config(home)
    doc["login"]["accessToken"] = "not-a-token"
    path.write_text(yaml.safe_dump(doc))
    cli(home, "function", "list", "--org", org)
    last = config(home)["login"]["refreshToken"]
    assert last != rotated["refreshToken"]

    assert "Signed out" in cli(home, "logout").stderr
    assert "login" not in (config(home) or {})
    p = cli(home, "function", "list", "--org", org, "--server", gh.admin_url, "--cacert", str(gh.ca), expect=1)
    assert "Unauthorized" in p.stderr, p.stderr
    oauth_error(refresh(gh, last), "invalid_grant")
    assert "Not signed in" in cli(home, "logout").stderr
    for token in (stored["refreshToken"], last):
        assert token not in gh.log_text()


def test_a_revoked_login_tells_the_user_to_sign_in_again(gh, idp, home):  # noqa: F811
    org = oidc_org(gh, idp)
    login(gh, home, org)
    doc = config(home)
    revoked = doc["login"]["refreshToken"]
    assert post(gh, "/auth/revoke", {"token": revoked, "client_id": "gatehouse-cli"}).status_code == 200
    doc["login"]["accessTokenExpiresAt"] = "2000-01-01T00:00:00Z"
    (home / ".config/gatehouse/config.yaml").write_text(yaml.safe_dump(doc))
    p = cli(home, "function", "list", "--org", org, expect=1)
    assert f"gatehouse login --org {org}" in p.stderr and revoked not in p.stderr, p.stderr


def test_login_to_an_unknown_org_fails_clearly(gh, home):
    p = subprocess.run(
        [str(gatehouse_bin()), "login", "--org", "no-such-org", "--server", gh.admin_url, "--cacert", str(gh.ca)],
        capture_output=True, text=True, env=cli_env(home), cwd=home, timeout=60)
    assert p.returncode == 1 and "invalid_request" in p.stderr, p.stderr
    assert not (home / ".config/gatehouse/config.yaml").exists()
