"""The identity peers as separate processes, for the identity end-to-end tests: the OIDC provider
(oidc_provider.py), GitHub's OAuth + REST API (github_api.py) and Microsoft Graph's group
endpoints (graph_api.py), each on an ephemeral port with its test hooks on.

Each peer gets a directory of its own (config.json, state, `<name>.log` with its access log) and
is ready once it has printed its JSON line, which it does only after its socket listens. The
default configurations below are what the fixtures start; tests read names and secrets from here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import httpx

HERE = Path(__file__).resolve().parent

# --- default configurations -------------------------------------------------------------------

OIDC_CONFIG: dict = {
    "users": [
        {"username": "alice", "email": "alice@example.com", "groups": ["eng", "ops"], "name": "Alice Liddell"},
        {"username": "bob", "email": "bob@example.com", "groups": [], "name": "Bob"},
    ],
    "clients": [
        # Gatehouse binds ephemeral ports, so its redirect URIs are patterns (see oidc_provider.py).
        {"client_id": "gatehouse", "client_secret": "gatehouse-secret",
         "redirect_uris": ["http://127.0.0.1:*/auth/*/callback"], "audience": "gatehouse"},
        {"client_id": "gatehouse-es256", "client_secret": "gatehouse-es256-secret",
         "redirect_uris": ["http://127.0.0.1:*/auth/*/callback"], "id_token_signed_response_alg": "ES256"},
        {"client_id": "worker", "client_secret": "worker-secret", "redirect_uris": [],
         "audience": "https://functions.gatehouse.test", "scope": "functions.invoke functions.read",
         "grant_types": ["client_credentials"]},
    ],
}

GITHUB_CONFIG: dict = {
    "apps": [
        # A loopback callback: any port matches it, as GitHub documents for loopback redirect URLs.
        {"client_id": "Ov23liGatehouseE2E00", "client_secret": "github-app-secret",
         "callback_url": "http://127.0.0.1/auth/github/callback"},
        {"client_id": "Ov23liNoDeviceFlow00", "client_secret": "github-app-secret-2",
         "callback_url": "http://127.0.0.1/auth/github/callback", "device_flow": False},
    ],
    "orgs": [
        {"login": "acme", "id": 9001, "description": "Acme Corp", "teams": [
            {"slug": "eng", "name": "Engineering", "id": 9101},
            {"slug": "ops", "name": "Operations", "id": 9102},
            {"slug": "sre", "name": "SRE", "id": 9103},
            {"slug": "platform", "name": "Platform", "id": 9104},
        ]},
        {"login": "globex", "id": 9002, "description": "Globex", "teams": [
            {"slug": "research", "name": "Research", "id": 9201},
        ]},
    ],
    "users": [
        {"login": "alice", "id": 1001, "name": "Alice Liddell", "email": "alice@example.com",
         "orgs": ["acme", "globex"],
         "teams": ["acme/eng", "acme/ops", "acme/sre", "acme/platform", "globex/research"]},
        {"login": "bob", "id": 1002, "name": "Bob", "email": "bob@example.com"},
    ],
}

GRAPH_ALICE = "6f1c1a7e-0000-4000-8000-00000000a11c"
GRAPH_OVERAGE = "6f1c1a7e-0000-4000-8000-0000000000e5"
GRAPH_TOKENS = {"alice": "graph-token-alice", "overage": "graph-token-overage", "app": "graph-token-app"}
GRAPH_OVERAGE_GROUPS = 250  # more than the 200 groups Entra puts in a JWT before it signals overage


def _graph_config() -> dict:
    def gid(n: int) -> str:
        return f"0a0a0a0a-0000-4000-8000-{n:012d}"
    many = [{"id": gid(1000 + i), "displayName": f"overage-{i:03d}", "securityEnabled": True}
            for i in range(GRAPH_OVERAGE_GROUPS)]
    return {
        "users": [
            {"id": GRAPH_ALICE, "userPrincipalName": "alice@contoso.example", "displayName": "Alice",
             "memberOf": [gid(1), gid(3), "62e90394-69f5-4237-9190-012177145e10"]},
            {"id": GRAPH_OVERAGE, "userPrincipalName": "overage@contoso.example", "displayName": "Overage",
             "memberOf": [g["id"] for g in many]},
        ],
        "groups": [
            {"id": gid(1), "displayName": "eng", "securityEnabled": True, "memberOf": [gid(2)]},
            {"id": gid(2), "displayName": "all-engineering", "securityEnabled": True},
            # A Microsoft 365 group: mail-enabled, not a security group.
            {"id": gid(3), "displayName": "all-staff", "securityEnabled": False, "mailEnabled": True,
             "groupTypes": ["Unified"], "mail": "all-staff@contoso.example"},
            *many,
        ],
        "directoryRoles": [
            {"id": "62e90394-69f5-4237-9190-012177145e10", "displayName": "Global Reader",
             "roleTemplateId": "f2ef992c-3afb-46b9-b7cf-a126ee74c451"},
        ],
        "tokens": {GRAPH_TOKENS["alice"]: {"user": GRAPH_ALICE},
                   GRAPH_TOKENS["overage"]: {"user": GRAPH_OVERAGE},
                   GRAPH_TOKENS["app"]: {"app": True}},
    }


GRAPH_CONFIG: dict = _graph_config()


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


# --- the processes ----------------------------------------------------------------------------


class Peer:
    """One peer process: started with `--port 0 --enable-test-hooks`, ready on its JSON line."""

    SCRIPT = ""
    READY_TIMEOUT = 30.0

    def __init__(self, root: Path, config: dict, extra_args: Sequence[str] = ()):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.config_path = self.root / "config.json"
        self.config_path.write_text(json.dumps(config, indent=1))
        self.log_path = self.root / f"{Path(self.SCRIPT).stem}.log"
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self.http: httpx.Client | None = None

    def args(self) -> list[str]:
        return ["--config", str(self.config_path)]

    def start(self) -> "Peer":
        cmd = [sys.executable, str(HERE / self.SCRIPT), "--port", "0", "--enable-test-hooks",
               *self.args(), *self.extra_args]
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== e2e: {' '.join(cmd)}\n".encode())
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                         cwd=self.root, text=True, start_new_session=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], self.READY_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        try:
            self.info = json.loads(line)
            self.base_url = self.info["base_url"]
        except (ValueError, KeyError):
            self.close()
            raise RuntimeError(f"{self.SCRIPT} did not start (said {line!r})\n--- log ---\n{self.log_tail()}")
        self.http = httpx.Client(base_url=self.base_url, timeout=10)
        return self

    def restart(self) -> "Peer":
        """Stop and start again on the same directory (a new port: the old one is not reserved)."""
        self.close()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def hook(self, method: str, path: str, json_body: Any = None) -> Any:
        """A test hook call that must succeed; returns its JSON."""
        resp = self.http.request(method, path, json=json_body)
        assert resp.status_code == 200, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
        return resp.json()


class OIDCProvider(Peer):
    SCRIPT = "oidc_provider.py"

    def args(self) -> list[str]:
        return ["--config", str(self.config_path), "--state-dir", str(self.root / "state")]

    @property
    def issuer(self) -> str:
        return self.info["issuer"]

    @property
    def jwks_uri(self) -> str:
        return self.info["jwks_uri"]

    def client(self, client_id: str = "gatehouse") -> dict:
        return next(c for c in self.config["clients"] if c["client_id"] == client_id)

    def jwks(self) -> dict:
        return self.http.get("/jwks").json()

    def rotate(self) -> dict:
        return self.hook("POST", "/_test/rotate")

    def retire(self) -> dict:
        return self.hook("POST", "/_test/retire")

    def fetches(self) -> dict:
        return self.hook("GET", "/_test/fetches")

    def requests(self) -> dict:
        """`{"token_auth_methods": [...], "logouts": [...]}`: how token requests authenticated."""
        return self.hook("GET", "/_test/requests")

    def mint(self, claims: dict | None = None, header: dict | None = None, *, key: str = "current",
             alg: str = "RS256", tamper: str | None = None, embed_jwk: bool = False) -> str:
        """A token from `POST /_test/mint` (see oidc_provider.mint)."""
        body = {"claims": claims or {}, "header": header or {}, "key": key, "alg": alg, "embed_jwk": embed_jwk}
        if tamper:
            body["tamper"] = tamper
        return self.hook("POST", "/_test/mint", body)["token"]


class GitHubAPI(Peer):
    SCRIPT = "github_api.py"

    @property
    def api_url(self) -> str:
        return self.info["api_url"]

    def app(self, index: int = 0) -> dict:
        return self.config["apps"][index]

    def token_for(self, login: str, scopes: Sequence[str] = (), client_id: str | None = None) -> str:
        """A token of `login`: issued to OAuth app `client_id`, or a personal one."""
        body = {"login": login, "scopes": list(scopes)}
        if client_id:
            body["client_id"] = client_id
        return self.hook("POST", "/_test/tokens", body)["token"]

    def requests(self, clear: bool = False) -> list[dict]:
        return self.hook("DELETE" if clear else "GET", "/_test/requests")

    def approve_device(self, user_code: str, login: str, deny: bool = False) -> httpx.Response:
        form = {"user_code": user_code, "login": login, "action": "deny" if deny else "approve"}
        return self.http.post("/login/device", data=form)

    def expire_device_codes(self) -> dict:
        return self.hook("POST", "/_test/device/expire")


class GraphAPI(Peer):
    SCRIPT = "graph_api.py"

    def requests(self, clear: bool = False) -> list[dict]:
        return self.hook("DELETE" if clear else "GET", "/_test/requests")

    def fail_next(self, status: int, count: int = 1, retry_after: int | None = None) -> dict:
        return self.hook("POST", "/_test/fail", {"status": status, "count": count, "retryAfter": retry_after})


PEERS = {"oidc": (OIDCProvider, OIDC_CONFIG), "github": (GitHubAPI, GITHUB_CONFIG), "graph": (GraphAPI, GRAPH_CONFIG)}


def start_peer(kind: str, root: Path, config: dict | None = None, extra_args: Sequence[str] = ()) -> Peer:
    cls, default = PEERS[kind]
    return cls(root, config if config is not None else default, extra_args).start()
