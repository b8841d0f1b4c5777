"""Tenant isolation, end to end: two orgs, A and B, each with functions, routes, secrets, identity
providers, service accounts, API keys and policies, and three principals bound `org-admin` in
their own org (an API key, a service account's Gatehouse token, a signed-in user's Gatehouse
token). The principals deliberately share names across the orgs (`api-key:bot`,
`service-account:ci`, `user:alice@example.com`, policy `access`), so an authorization that
compared subjects without their org would let one tenant into the other.

The matrices (both directions, A against B and B against A, built by the same code):

- admin: every admin operation of each principal against the other org → 403 `forbidden` with
  an `insufficient_scope` challenge, nothing of the other org in the body, and the other org's
  resources unchanged (read back with the platform token: same revisions); and the same
  operation on the principal's own org succeeds (a positive control: the 403 is not a broken
  credential).
- edge: each credential on each of the other org's protected routes (API key, jwt, jwt+api-key,
  session, host-bound) → 401/403, the upstream never reached; the same credential on its own
  org's route reaches its own function with its own org in `x-gatehouse-identity`.
- path and header tricks at the edge and at the admin API (`..`, `%2e%2e`, `%252e%252e`,
  encoded and doubled slashes, case and trailing-dot variants of org names and hosts, forged
  `X-Gatehouse-Org` / `X-Forwarded-Host` / `Forwarded`, the other org's `Host`) → a denial or
  400/404, never the other org's function or data, never a 5xx. At the admin API the tricks are
  also tried by an API key no policy names and with no credential at all, and against the
  platform's own endpoints (creating orgs, signing keys).

`test_matrix_size` pins the number of cases of each category, so the matrix cannot shrink
silently.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import h2.config
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from harness import (
    RawResponse, assert_problem, check, h2_request, http1_request, ssl_context, uniq,
)
from test_login import SESSION_COOKIE, browser, idp, login  # noqa: F401  (idp is a fixture)
from test_token_endpoint import JWT_BEARER, exchange, new_key

DIRECTIONS = ["a-to-b", "b-to-a"]
PRINCIPALS = ["api-key", "service-account", "user"]
KINDS = ["functions", "routes", "secrets", "identity-providers", "service-accounts", "api-keys", "policies"]
TOKEN_REFRESH_SECONDS = 600  # Gatehouse tokens live 15 minutes; the suite may outlast one


# --- the two tenants ---------------------------------------------------------------------------


@dataclass
class Tenant:
    tag: str                      # "a" or "b"
    org: str
    base: str                     # the function's base path at the upstream: tells A's from B's
    function_url: str
    host: str                     # the host of the host-bound route
    api_key: str                  # `gak_...` of api-key "bot" (org-admin)
    api_key_id: str
    roleless_key: str             # `gak_...` of api-key "nobody", which no policy names
    sa_key: ECKey                 # private key of service account "ci" (org-admin)
    browser: httpx.Client         # signed in as alice to this org (org-admin by email)
    spare: dict[str, str]         # kind → the name of a resource the matrix reads, replaces, deletes
    markers: list[str]            # strings of this tenant's that must never appear in a foreign answer
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def upper(self) -> str:
        return self.org.upper()

    def session_cookie(self) -> str:
        return next(c.value for c in self.browser.cookies.jar if c.name == SESSION_COOKIE)


def _fresh(t: Tenant, key: str, mint: Callable[[], str]) -> str:
    now = time.monotonic()
    if key not in t._tokens or now - t._tokens[key][0] > TOKEN_REFRESH_SECONDS:
        t._tokens[key] = (now, mint())
    return t._tokens[key][1]


def sa_assertion(gh, t: Tenant, aud: str) -> str:
    now = int(time.time())
    claims = {"iss": f"{t.org}/ci", "sub": f"{t.org}/ci", "aud": aud, "iat": now, "exp": now + 900,
              "jti": str(uuid.uuid4())}
    return jwt.encode({"alg": "ES256", "typ": "JWT"}, claims, t.sa_key)


def sa_token(gh, t: Tenant) -> str:
    def mint() -> str:
        grant = {"grant_type": JWT_BEARER, "assertion": sa_assertion(gh, t, f"{gh.admin_url}/auth/token")}
        return check(exchange(gh, grant), 200).json()["access_token"]
    return _fresh(t, "service-account", mint)


def raw_assertion(gh, t: Tenant) -> str:
    """The account's own signed assertion, which jwt routes accept as a bearer token."""
    return _fresh(t, "assertion", lambda: sa_assertion(gh, t, gh.admin_url))


def user_token(gh, t: Tenant) -> str:
    def mint() -> str:
        r = t.browser.get(f"{gh.admin_url}/auth/session", headers={"X-Gatehouse-Token-Request": "1"})
        return check(r, 200).json()["accessToken"]
    return _fresh(t, "user", mint)


def credential(gh, t: Tenant, principal: str) -> str:
    """The bearer credential of one of `t`'s admin principals."""
    if principal == "api-key":
        return t.api_key
    if principal == "service-account":
        return sa_token(gh, t)
    if principal == "user":
        return user_token(gh, t)
    raise ValueError(principal)


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def resource_doc(gh, t: Tenant, kind: str, name: str, variant: str = "1") -> dict:
    """A valid document of `kind` for `t` (variant changes its content, for replacing)."""
    if kind == "functions":
        return {"name": name, "runtime": "http", "http": {"url": f"{t.function_url}/v{variant}"}}
    if kind == "routes":
        return {"name": name, "function": t.spare["functions"], "paths": [f"/{name}"],
                "methods": ["GET"] if variant == "1" else ["GET", "POST"], "auth": {"mode": "none"}}
    if kind == "secrets":
        return {"name": name, "values": {"password": f"pw-{t.tag}-{variant}-{uuid.uuid4().hex[:8]}"}}
    if kind == "identity-providers":
        return {"name": name, "type": "oidc", "oidc": {
            "issuer": gh.iso_issuer, "clientId": f"client-{t.tag}-{variant}",
            "clientSecret": f"idp-secret-{t.tag}-{uuid.uuid4().hex[:8]}"}}
    if kind == "service-accounts":
        return {"name": name, "description": f"v{variant}", "publicKeys": [{"pem": new_key()[1]}]}
    if kind == "api-keys":
        return {"name": name, "description": f"v{variant}"}
    if kind == "policies":
        return {"name": name, "bindings": [{"role": "viewer", "subjects": [f"group:nobody-{t.tag}-{variant}"]}]}
    raise ValueError(kind)


def build_tenant(gh, upstream, idp, tag: str) -> Tenant:  # noqa: F811
    org = gh.create_org(uniq(f"iso-{tag}"))
    hexid = uuid.uuid4().hex[:8]
    base = f"/iso-{tag}-{hexid}"
    function_url = f"{upstream.url}{base}"
    host = f"{tag}-{hexid}.iso.test"
    api = lambda m, p, d=None: gh.api(m, f"/v1/orgs/{org}{p}", d)  # noqa: E731

    # What the edge serves: one function, routes of every auth kind.
    check(api("POST", "/functions", {"name": "fn", "runtime": "http", "http": {"url": function_url}}), 201)
    check(api("POST", "/identity-providers", {"name": "corp", "type": "oidc", "oidc": {
        "issuer": idp.issuer, "clientId": "gatehouse", "clientSecret": "gatehouse-secret"}}), 201)
    routes = {
        "keys": {"paths": ["/keys"], "auth": {"accept": ["api-key"]}},
        "jwt": {"paths": ["/jwt"], "auth": {"mode": "jwt"}},
        "either": {"paths": ["/either"], "auth": {"accept": ["jwt", "api-key"]}},
        "session": {"paths": ["/session"], "auth": {"accept": ["session"]}},
        "open": {"paths": ["/open"], "auth": {"mode": "none"}},
        "hosted": {"paths": ["/hosted"], "hosts": [host], "auth": {"accept": ["jwt", "api-key"]}},
    }
    for name, doc in routes.items():
        check(api("POST", "/routes", {"name": name, "function": "fn", **doc}), 201)

    # The principals, with the same names in both orgs.
    key_doc = check(api("POST", "/api-keys", {"name": "bot"}), 201).json()
    roleless = check(api("POST", "/api-keys", {"name": "nobody"}), 201).json()["key"]
    sa_key, pem = new_key()
    check(api("POST", "/service-accounts", {"name": "ci", "publicKeys": [{"pem": pem}]}), 201)
    check(api("PUT", "/policies/access", {"bindings": [{"role": "org-admin", "subjects": [
        "api-key:bot", "service-account:ci", "user:alice@example.com"]}]}), 201)

    # One spare resource of every kind: what the other tenant tries to read, replace and delete.
    t = Tenant(tag=tag, org=org, base=base, function_url=function_url, host=host, api_key=key_doc["key"],
               api_key_id=key_doc["keyId"], roleless_key=roleless, sa_key=sa_key, browser=browser(gh), spare={}, markers=[])
    t.spare = {kind: f"{kind.split('-')[0][:6]}-spare-{tag}-{hexid}" for kind in KINDS}
    # The spare function first: the spare route names it.
    for kind in KINDS:
        doc = resource_doc(gh, t, kind, t.spare[kind])
        if kind == "policies":
            doc["roles"] = [{"name": f"role-{tag}-{hexid}", "permissions": ["functions:read"]}]
        created = check(api("POST", f"/{kind}", doc), 201).json()
        if kind == "secrets":
            t.markers += list(doc["values"].values())
        if kind == "identity-providers":
            t.markers.append(doc["oidc"]["clientSecret"])
        if kind == "api-keys":
            t.markers += [created["key"], created["keyId"]]
        if kind == "service-accounts":
            t.markers.append(created["publicKeys"][0]["fingerprint"])
    t.markers += [base, function_url, host, t.api_key, key_doc["keyId"], roleless, *t.spare.values(), f"role-{tag}-{hexid}"]

    check(login(t.browser, gh, org, login_hint="alice"), 303)
    gh.wait_for_revision(latest_revision(gh, org))
    return t


def latest_revision(gh, org: str) -> int:
    revs = [0]
    for kind in KINDS:
        for item in check(gh.api("GET", f"/v1/orgs/{org}/{kind}?limit=1000"), 200).json()["items"]:
            revs.append(item["revision"])
    return max(revs)


@pytest.fixture(scope="module")
def gh(gatehouse_factory, idp):  # noqa: F811
    server = gatehouse_factory(name="gatehouse-isolation")
    server.iso_issuer = idp.issuer
    return server


@pytest.fixture(scope="module")
def tenants(gh, upstream, idp):  # noqa: F811
    a = build_tenant(gh, upstream, idp, "a")
    b = build_tenant(gh, upstream, idp, "b")
    yield {"a": a, "b": b}
    a.browser.close()
    b.browser.close()


def pair(tenants: dict, direction: str) -> tuple[Tenant, Tenant]:
    """(attacker, victim) for a direction."""
    return (tenants["a"], tenants["b"]) if direction == "a-to-b" else (tenants["b"], tenants["a"])


# --- what every answer to a foreign request must satisfy -------------------------------------


def assert_no_leak(resp, victim: Tenant, sent: str = "") -> None:
    """No 5xx, and none of the victim's markers in the body or headers (unless the caller sent
    that very string: a 404 may echo the path it was given)."""
    assert resp.status_code < 500, f"{resp.status_code} for {sent!r}: {resp.text[:600]}"
    text = resp.text + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
    leaked = [m for m in victim.markers if m and m in text and m not in sent]
    assert not leaked, f"{sent!r} → {resp.status_code}: the answer holds {leaked}: {text[:800]}"


def assert_admin_forbidden(resp, victim: Tenant, sent: str) -> None:
    assert_problem(resp, 403, "forbidden")
    challenge = resp.headers.get("www-authenticate", "")
    assert challenge.startswith('Bearer realm="gatehouse"') and 'error="insufficient_scope"' in challenge, challenge
    assert_no_leak(resp, victim, sent)


def snapshot(gh, t: Tenant, kinds=KINDS) -> dict:
    """The tenant as the platform admin sees it: each resource's name → revision."""
    snap = {"org": check(gh.api("GET", f"/v1/orgs/{t.org}"), 200).json()["revision"]}
    for kind in kinds:
        items = check(gh.api("GET", f"/v1/orgs/{t.org}/{kind}?limit=1000"), 200).json()["items"]
        snap[kind] = {i["name"]: i["revision"] for i in items}
    return snap


# --- the admin operations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    id: str
    method: str
    kind: str | None   # None: the org itself / access-checks
    target: str        # "collection", "spare", "new", "missing", "org", "access-checks"
    own: tuple[int, ...]  # the statuses the same call on the caller's own org answers


def _ops() -> list[Op]:
    ops = []
    for kind in KINDS:
        ops += [
            Op(f"{kind}:list", "GET", kind, "collection", (200,)),
            Op(f"{kind}:create", "POST", kind, "collection", (201,)),
            Op(f"{kind}:get", "GET", kind, "spare", (200,)),
            # The admin API routes no HEAD (405 on the own org); a foreign HEAD must still be 403.
            Op(f"{kind}:head", "HEAD", kind, "spare", (200, 405)),
            Op(f"{kind}:get-missing", "GET", kind, "missing", (404,)),
            Op(f"{kind}:replace", "PUT", kind, "spare", (200,)),
            Op(f"{kind}:put-create", "PUT", kind, "new", (201,)),
            Op(f"{kind}:delete", "DELETE", kind, "spare", (204,)),
        ]
    ops += [
        Op("org:get", "GET", None, "org", (200,)),
        Op("org:put", "PUT", None, "org", (200,)),
        # Deleting an org is the platform admin's even for the org's own admins.
        Op("org:delete", "DELETE", None, "org", (403,)),
        Op("access-checks:caller", "POST", None, "access-checks", (200,)),
        Op("access-checks:subjects", "POST", None, "access-checks", (200,)),
    ]
    return ops


OPS = _ops()


def admin_request(gh, t: Tenant, op: Op, *, own: bool) -> tuple[str, str, Any]:
    """(method, path, body) of `op` against tenant `t`. For `own` the item operations aim at
    throwaway resources (the control must not delete the caller's spare, nor itself)."""
    base = f"/v1/orgs/{t.org}"
    if op.target == "org":
        return op.method, base, ({"name": t.org, "displayName": f"renamed by {op.id}"} if op.method == "PUT" else None)
    if op.target == "access-checks":
        body = {"resource": "secrets", "action": "read"}
        if op.id.endswith("subjects"):
            body["subjects"] = ["api-key:bot", "group:eng"]
        return op.method, f"{base}/access-checks", body
    kind = op.kind
    if op.target == "collection":
        return op.method, f"{base}/{kind}", (resource_doc(gh, t, kind, uniq("new")) if op.method == "POST" else None)
    if op.target == "missing":
        return op.method, f"{base}/{kind}/missing-{uuid.uuid4().hex[:8]}", None
    if op.target == "new":
        name = uniq("put")
        doc = resource_doc(gh, t, kind, name)
        return op.method, f"{base}/{kind}/{name}", doc
    # "spare": the victim's spare; for a control, a throwaway made now with the platform token
    # (the control's DELETE must not remove the tenant's spare that the other direction uses).
    name = t.spare[kind]
    if own and op.method in ("DELETE", "PUT"):
        name = uniq("tmp")
        check(gh.api("POST", f"{base}/{kind}", resource_doc(gh, t, kind, name)), 201)
    doc = resource_doc(gh, t, kind, name, variant="2") if op.method == "PUT" else None
    if doc is not None and kind == "policies":
        doc.pop("name")
    return op.method, f"{base}/{kind}/{name}", doc


ADMIN_CASES = [(d, p, op) for d in DIRECTIONS for p in PRINCIPALS for op in OPS]


@pytest.mark.parametrize("direction, principal, op", ADMIN_CASES,
                         ids=[f"{d}-{p}-{op.id}" for d, p, op in ADMIN_CASES])
def test_admin_operation_on_the_other_org_is_forbidden(gh, tenants, direction, principal, op):
    attacker, victim = pair(tenants, direction)
    token = credential(gh, attacker, principal)
    kinds = [op.kind] if op.kind else ["policies"]
    before = snapshot(gh, victim, kinds)
    method, path, body = admin_request(gh, victim, op, own=False)
    r = gh.api(method, path, body, token=token)
    sent = path + json.dumps(body or {})
    if method == "HEAD":  # no body to read: the status and the challenge are the answer
        assert r.status_code == 403, f"HEAD {path}: {r.status_code}"
        assert 'error="insufficient_scope"' in r.headers.get("www-authenticate", ""), r.headers
        assert_no_leak(r, victim, sent)
    else:
        assert_admin_forbidden(r, victim, sent)
    assert snapshot(gh, victim, kinds) == before, f"{method} {path} by {attacker.org}'s {principal} changed {victim.org}"


@pytest.mark.parametrize("direction, principal, op", ADMIN_CASES,
                         ids=[f"{d}-{p}-{op.id}" for d, p, op in ADMIN_CASES])
def test_admin_operation_on_the_own_org_succeeds(gh, tenants, direction, principal, op):
    """The positive control of the case above: the same principal, the same operation, its own
    org. (Directions repeat the controls from the other tenant's side.)"""
    own, _ = pair(tenants, direction)
    token = credential(gh, own, principal)
    method, path, body = admin_request(gh, own, op, own=True)
    r = gh.api(method, path, body, token=token)
    check(r, *op.own)
    if op.id == "org:delete":
        assert_problem(r, 403, "forbidden")
    if op.id == "api-keys:create" or op.id == "api-keys:put-create":
        assert r.json()["key"].startswith("gak_")
    if method == "GET" and op.target == "collection":
        assert all(item["org"] == own.org for item in r.json()["items"]), r.text[:400]


@pytest.mark.parametrize("direction, principal", [(d, p) for d in DIRECTIONS for p in PRINCIPALS])
def test_listing_orgs_shows_the_own_org_alone(gh, tenants, direction, principal):
    own, other = pair(tenants, direction)
    token = credential(gh, own, principal)
    if principal != "api-key":  # a Gatehouse token of the right org and kind
        c = claims_of(token)
        assert (c["org"], c["kind"]) == (own.org, principal), c
    r = check(gh.api("GET", "/v1/orgs", token=token), 200)
    assert [o["name"] for o in r.json()["items"]] == [own.org], r.text
    assert_no_leak(r, other)
    # The platform's own operations: refused whatever the org role.
    for method, path, body in [("POST", "/v1/orgs", {"name": uniq("mine")}), ("GET", "/v1/signing-keys", None),
                               ("POST", "/v1/signing-keys/rotate", None)]:
        assert_admin_forbidden(gh.api(method, path, body, token=token), other, path)


@pytest.mark.parametrize("direction, principal", [(d, p) for d in DIRECTIONS for p in PRINCIPALS])
def test_a_foreign_get_tells_nothing_about_existence(gh, tenants, direction, principal):
    """403 for the other org's resource whether it exists or not: no existence oracle."""
    attacker, victim = pair(tenants, direction)
    token = credential(gh, attacker, principal)
    for kind in KINDS:
        present = gh.api("GET", f"/v1/orgs/{victim.org}/{kind}/{victim.spare[kind]}", token=token)
        absent = gh.api("GET", f"/v1/orgs/{victim.org}/{kind}/nothing-here", token=token)
        assert_admin_forbidden(present, victim, victim.spare[kind])
        assert_admin_forbidden(absent, victim, "")
        assert present.json()["detail"].replace(victim.spare[kind], "X") == absent.json()["detail"].replace("nothing-here", "X")
    # An org that does not exist at all looks the same as one that does.
    ghost = gh.api("GET", f"/v1/orgs/ghost-{uuid.uuid4().hex[:8]}/functions", token=token)
    assert_admin_forbidden(ghost, victim, "")


# --- the edge: credentials on the other org's routes -------------------------------------------


EDGE_CREDENTIALS = ["api-key-header", "api-key-bearer", "service-account-token", "service-account-assertion",
                    "user-token", "session-cookie"]
EDGE_ROUTES = ["keys", "jwt", "either", "session", "hosted"]
# Which (credential, route) pairs the own org accepts: the positive controls.
ACCEPTS = {
    "keys": {"api-key-header", "api-key-bearer"},
    "jwt": {"service-account-token", "service-account-assertion", "user-token"},
    "either": {"api-key-header", "api-key-bearer", "service-account-token", "service-account-assertion", "user-token"},
    "session": {"session-cookie"},
    "hosted": {"api-key-header", "api-key-bearer", "service-account-token", "service-account-assertion", "user-token"},
}


def edge_headers(gh, t: Tenant, cred: str) -> dict[str, str]:
    if cred == "api-key-header":
        return {"x-api-key": t.api_key}
    if cred == "api-key-bearer":
        return {"authorization": f"Bearer {t.api_key}"}
    if cred == "service-account-token":
        return {"authorization": f"Bearer {sa_token(gh, t)}"}
    if cred == "service-account-assertion":
        return {"authorization": f"Bearer {raw_assertion(gh, t)}"}
    if cred == "user-token":
        return {"authorization": f"Bearer {user_token(gh, t)}"}
    if cred == "session-cookie":
        return {"cookie": f"{SESSION_COOKIE}={t.session_cookie()}"}
    raise ValueError(cred)


def edge_get(gh, route_owner: Tenant, route: str, headers: dict, transport: str = "h2") -> httpx.Response:
    with gh.client(transport) as c:
        if route == "hosted":
            return c.get("/hosted", headers={"host": route_owner.host, **headers})
        return c.get(f"/{route_owner.org}/{route}", headers=headers)


def reached(resp, t: Tenant) -> bool:
    """Whether this answer came from `t`'s function."""
    if resp.headers.get("x-upstream") != "echo":
        return False
    try:
        return resp.json()["path"].startswith(t.base)
    except (ValueError, KeyError):
        return False


def identity_claims(gh, resp) -> dict | None:
    token = resp.json()["headers"].get("x-gatehouse-identity")
    if token is None:
        return None
    jwks = KeySet.import_key_set(httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca)).json())
    return jwt.decode(token, jwks, algorithms=["ES256"]).claims


EDGE_CASES = [(d, c, r) for d in DIRECTIONS for c in EDGE_CREDENTIALS for r in EDGE_ROUTES]


@pytest.mark.parametrize("direction, cred, route", EDGE_CASES, ids=[f"{d}-{c}-{r}" for d, c, r in EDGE_CASES])
def test_a_credential_on_the_other_orgs_route_is_refused(gh, tenants, upstream, direction, cred, route):
    attacker, victim = pair(tenants, direction)
    headers = edge_headers(gh, attacker, cred)
    received = upstream.stats()["received"]
    r = edge_get(gh, victim, route, headers)
    assert not reached(r, victim), f"{attacker.org}'s {cred} reached {victim.org}'s {route}: {r.text[:600]}"
    doc = assert_problem(r, 401) if r.status_code == 401 else assert_problem(r, 403)
    assert r.headers.get("www-authenticate", "").startswith('Bearer realm="gatehouse"'), r.headers
    assert_no_leak(r, victim, route)
    for value in headers.values():  # the credential is not echoed either
        assert value.split("=", 1)[-1].split(" ")[-1] not in r.text, doc
    # (the stats request counts itself)
    assert upstream.stats()["received"] == received + 1, "a refused request reached the upstream"


@pytest.mark.parametrize("direction, cred, route", [c for c in EDGE_CASES if c[1] in ACCEPTS[c[2]]],
                         ids=[f"{d}-{c}-{r}" for d, c, r in EDGE_CASES if c in ACCEPTS[r]])
def test_a_credential_on_its_own_orgs_route_is_accepted(gh, tenants, direction, cred, route):
    own, _ = pair(tenants, direction)
    r = check(edge_get(gh, own, route, edge_headers(gh, own, cred)), 200)
    assert reached(r, own), r.text[:400]
    claims = identity_claims(gh, r)
    assert claims is not None and claims["org"] == own.org, claims
    assert claims["aud"] == f"urn:gatehouse:function:{own.org}/fn", claims


@pytest.mark.parametrize("direction, cred", [(d, c) for d in DIRECTIONS for c in EDGE_CREDENTIALS])
def test_the_other_orgs_public_route_gets_no_identity_of_the_caller(gh, tenants, direction, cred):
    """A public route is public: the call goes through. But the other org's function must not
    be told who the caller is (no `x-gatehouse-identity` naming the attacker's org) nor receive
    the caller's Gatehouse session cookie."""
    attacker, victim = pair(tenants, direction)
    headers = edge_headers(gh, attacker, cred)
    r = check(edge_get(gh, victim, "open", headers), 200)
    assert reached(r, victim), r.text[:300]
    seen = r.json()["headers"]
    assert "x-gatehouse-identity" not in seen, seen
    assert SESSION_COOKIE not in seen.get("cookie", ""), seen


# --- path and header tricks ----------------------------------------------------------------------

# {a}: the attacker's org, {b}: the victim's, {B}: the victim's upper-cased, {bpct}: the victim's
# with its first letter percent-encoded; {route}: the victim's route path without its slash.
EDGE_PATH_TRICKS = [
    "/{a}/../{b}/{route}",
    "/{a}/..%2f{b}/{route}",
    "/{a}/..%2F{b}/{route}",
    "/{a}/%2e%2e/{b}/{route}",
    "/{a}/%2E%2E/{b}/{route}",
    "/{a}/.%2e/{b}/{route}",
    "/{a}/%252e%252e/{b}/{route}",
    "/{a}/%252e%252e%252f{b}/{route}",
    "/{a}%2f..%2f{b}/{route}",
    "/{a}/{route}/../../{b}/{route}",
    "/{b}%2f{route}",
    "/{b}%252f{route}",
    "//{b}/{route}",
    "/{b}//{route}",
    "/{b}/./{route}",
    "/%2e/{b}/{route}",
    "/{B}/{route}",
    "/{bpct}/{route}",
    "/{b}./{route}",
    "/{b}%2e/{route}",
    "/{b}%00/{route}",
    "/{b}%20/{route}",
    "/{b}/{route}.",
    "/{b}/{route}/",
    "/{b}/{ROUTE}",
    "/{b}/{route};{a}",
    "/{b}/{route}%00",
    "/{b}/{route}?org={a}",
    "/{b}\\{route}",
    "/{b}/{route}%2f..%2f..%2f{a}%2f{route}",
]

EDGE_TRICK_ROUTES = {"keys": "api-key-header", "jwt": "service-account-token"}
EDGE_TRICK_CASES = [(d, tr, route, t) for d in DIRECTIONS for tr in range(len(EDGE_PATH_TRICKS))
                    for route in EDGE_TRICK_ROUTES for t in ("h1", "h2")]


def fill(template: str, attacker: Tenant, victim: Tenant, route: str = "") -> str:
    bpct = "%{:02X}".format(ord(victim.org[0])) + victim.org[1:]
    return (template.replace("{a}", attacker.org).replace("{b}", victim.org).replace("{B}", victim.upper)
            .replace("{bpct}", bpct).replace("{route}", route).replace("{ROUTE}", route.upper()))


def raw_edge(gh, target: str, headers: dict | list, transport: str, authority: str | None = None) -> RawResponse:
    """One request with exactly this target (no client normalizes it), over h1 or h2."""
    host, port = gh.public_addr.rsplit(":", 1)
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    if transport == "h1":
        if authority is not None:
            hdrs.insert(0, ("Host", authority))
        return http1_request(host, int(port), target=target, headers=hdrs, tls_ca=gh.ca, timeout=15)
    return h2_request(host, int(port), path=target, authority=authority, headers=hdrs, tls_ca=gh.ca, timeout=15)


def assert_not_victims_function(r, attacker: Tenant, victim: Tenant, sent: str, gh=None) -> None:
    assert r.status_code < 500, f"{sent} → {r.status_code}: {r.text[:600]}"
    assert not reached(r, victim), f"{sent} with {attacker.org}'s credential reached {victim.org}'s function: {r.text[:600]}"
    if 200 <= r.status_code < 300 and r.headers.get("x-upstream") == "echo":
        # It reached a function: the attacker's own, as the attacker.
        assert reached(r, attacker), f"{sent}: reached an unknown function: {r.text[:400]}"
        if gh is not None:
            seen = r.json()["headers"]
            claims = identity_claims(gh, r)
            assert claims is None or claims["org"] == attacker.org, claims
            # Gatehouse's own headers name the attacker's org; a forged one naming the victim's is dropped.
            ours = {k: v for k, v in seen.items() if k.startswith("x-gatehouse-") and k != "x-gatehouse-identity"}
            assert ours.get("x-gatehouse-org", attacker.org) == attacker.org, f"{sent}: {ours}"
            assert not any(victim.org in v for v in ours.values()), f"{sent}: {ours}"
    else:
        assert r.status_code in (400, 401, 403, 404, 405, 421), f"{sent} → {r.status_code}: {r.text[:400]}"
    assert_no_leak(r, victim, sent)


@pytest.mark.parametrize("direction, trick, route, transport", EDGE_TRICK_CASES,
                         ids=[f"{d}-{EDGE_PATH_TRICKS[tr]}-{route}-{t}" for d, tr, route, t in EDGE_TRICK_CASES])
def test_edge_path_tricks_never_reach_the_other_orgs_function(gh, tenants, direction, trick, route, transport):
    attacker, victim = pair(tenants, direction)
    target = fill(EDGE_PATH_TRICKS[trick], attacker, victim, route)
    r = raw_edge(gh, target, edge_headers(gh, attacker, EDGE_TRICK_ROUTES[route]), transport)
    assert_not_victims_function(r, attacker, victim, f"{transport} GET {target}", gh)


# (name, target path, headers, :authority/Host): {ah}/{bh} are the tenants' hosts, {edge} the
# edge's address; the attacker's credential (API key and Gatehouse token) is added to each.
EDGE_HOST_TRICKS = [
    ("victims-host", "/hosted", {}, "{bh}"),
    ("victims-host-upper", "/hosted", {}, "{BH}"),
    ("victims-host-trailing-dot", "/hosted", {}, "{bh}."),
    ("victims-host-with-port", "/hosted", {}, "{bh}:443"),
    ("victims-host-attackers-path", "/{a}/keys", {}, "{bh}"),
    ("victims-host-victims-path", "/{b}/keys", {}, "{bh}"),
    ("x-forwarded-host", "/hosted", {"x-forwarded-host": "{bh}"}, "{ah}"),
    ("forwarded-host", "/hosted", {"forwarded": "host={bh};proto=https"}, "{ah}"),
    ("x-original-host", "/hosted", {"x-original-host": "{bh}", "x-host": "{bh}"}, "{ah}"),
    ("x-gatehouse-org-on-host", "/hosted", {"x-gatehouse-org": "{b}"}, "{ah}"),
    ("x-gatehouse-org-on-path", "/{a}/keys", {"x-gatehouse-org": "{b}"}, "{edge}"),
    ("x-forwarded-host-on-path", "/{a}/keys", {"x-forwarded-host": "{bh}", "forwarded": "host={bh}"}, "{edge}"),
    ("x-original-url", "/{a}/keys", {"x-original-url": "/{b}/keys", "x-rewrite-url": "/{b}/keys"}, "{edge}"),
    ("x-forwarded-prefix", "/{a}/keys", {"x-forwarded-prefix": "/{b}"}, "{edge}"),
    # h2: `:authority` the attacker's host and a `host` header the victim's; h1: two Host lines.
    ("host-header-beside-authority", "/hosted", {"host": "{bh}"}, "{ah}"),
]
EDGE_HOST_CREDS = ["api-key-header", "service-account-token"]
EDGE_HOST_CASES = [(d, i, c, t) for d in DIRECTIONS for i in range(len(EDGE_HOST_TRICKS))
                   for c in EDGE_HOST_CREDS for t in ("h1", "h2")]


@pytest.mark.parametrize("direction, trick, cred, transport", EDGE_HOST_CASES,
                         ids=[f"{d}-{EDGE_HOST_TRICKS[i][0]}-{c}-{t}" for d, i, c, t in EDGE_HOST_CASES])
def test_edge_host_and_forged_header_tricks(gh, tenants, monkeypatch, direction, trick, cred, transport):
    attacker, victim = pair(tenants, direction)
    name, path, extra, authority = EDGE_HOST_TRICKS[trick]

    def sub(s: str) -> str:
        return (fill(s, attacker, victim).replace("{ah}", attacker.host).replace("{bh}", victim.host)
                .replace("{BH}", victim.host.upper()).replace("{edge}", gh.public_addr))

    headers = [(k, sub(v)) for k, v in extra.items()]
    if name == "host-header-beside-authority":
        if transport == "h1":
            headers = [("Host", sub(authority)), ("Host", victim.host)]
            authority = None
        else:  # the h2 library refuses to send a mismatched pair unless told not to validate
            strict = h2.config.H2Configuration
            monkeypatch.setattr(h2.config, "H2Configuration",
                                lambda *a, **k: strict(*a, **{**k, "validate_outbound_headers": False}))
    headers += list(edge_headers(gh, attacker, cred).items())
    target = sub(path)
    r = raw_edge(gh, target, headers, transport, authority=sub(authority) if authority else None)
    assert_not_victims_function(r, attacker, victim, f"{transport} {name} GET {target} {headers}", gh)


# The admin API: the attacker's org-admin principals, paths that try to name the victim's org.
ADMIN_PATH_TRICKS = [
    "/v1/orgs/{a}/../{b}/{rest}",
    "/v1/orgs/{a}/..%2f{b}/{rest}",
    "/v1/orgs/{a}%2f..%2f{b}/{rest}",
    "/v1/orgs/{a}/%2e%2e/{b}/{rest}",
    "/v1/orgs/{a}/%252e%252e/{b}/{rest}",
    "/v1/orgs/{a}/{rest}/../../{b}/{rest}",
    "/v1/orgs/{B}/{rest}",
    "/v1/orgs/{bpct}/{rest}",
    "/v1/orgs/{b}./{rest}",
    "/v1/orgs/{b}%00/{rest}",
    "/v1/orgs/{b}%2f{rest}",
    "/v1/orgs//{b}/{rest}",
    "/v1/orgs/./{b}/{rest}",
    "/v1//orgs/{b}/{rest}",
    "//v1/orgs/{b}/{rest}",
    "/v1/./orgs/{b}/{rest}",
    "/v1/orgs/{b}//{rest}",
    "/v1/orgs/{b}/{rest}/",
    "/v1/orgs/{a}/{rest}?org={b}",
    "/v1/orgs/{a}/{rest};{b}",
    "/v1/orgs/{a}%00{b}/{rest}",
]
# What each trick is used for: list the victim's functions, secrets and policies; read and
# replace its spare function; delete one of its secrets.
ADMIN_TRICK_OPS = [
    ("list-functions", "GET", "functions"),
    ("list-secrets", "GET", "secrets"),
    ("list-policies", "GET", "policies"),
    ("get-function", "GET", "functions/{spare}"),
    ("replace-function", "PUT", "functions/{spare}"),
    ("delete-secret", "DELETE", "secrets/{fresh}"),  # a secret of the victim's made for this case
]
# The attacker's three principals, an API key of the attacker's that no policy names (a trick must
# not skip RBAC), and no credential at all (nor authentication).
TRICK_PRINCIPALS = [*PRINCIPALS, "roleless-api-key", "anonymous"]
ADMIN_TRICK_CASES = [(d, i, p, o) for d in DIRECTIONS for i in range(len(ADMIN_PATH_TRICKS))
                     for p in TRICK_PRINCIPALS for o in range(len(ADMIN_TRICK_OPS))]


@pytest.mark.parametrize("direction, trick, principal, op", ADMIN_TRICK_CASES,
                         ids=[f"{d}-{ADMIN_PATH_TRICKS[i]}-{p}-{ADMIN_TRICK_OPS[o][0]}" for d, i, p, o in ADMIN_TRICK_CASES])
def test_admin_path_tricks_never_reach_the_other_org(gh, tenants, direction, trick, principal, op):
    attacker, victim = pair(tenants, direction)
    name, method, rest = ADMIN_TRICK_OPS[op]
    if "{fresh}" in rest:
        fresh = uniq("victim")
        check(gh.api("POST", f"/v1/orgs/{victim.org}/secrets", {"name": fresh, "values": {"k": "v"}}), 201)
        rest = rest.replace("{fresh}", fresh)
    rest = rest.replace("{spare}", victim.spare["functions"])
    target = fill(ADMIN_PATH_TRICKS[trick], attacker, victim).replace("{rest}", rest)
    body = None
    bearer = {"anonymous": None, "roleless-api-key": attacker.roleless_key}.get(principal) if principal not in PRINCIPALS \
        else credential(gh, attacker, principal)
    headers = [("Authorization", f"Bearer {bearer}")] if bearer else []
    if method == "PUT":  # repoint the victim's function to the attacker's upstream
        body = json.dumps(resource_doc(gh, attacker, "functions", victim.spare["functions"], "hijacked")).encode()
        headers.append(("Content-Type", "application/json"))
    writes = method != "GET"
    before = snapshot(gh, victim, ["functions", "secrets"]) if writes else None
    host, port = gh.admin_addr.rsplit(":", 1)
    r = http1_request(host, int(port), method=method, target=target, headers=headers, body=body, tls_ca=gh.ca, timeout=15)
    sent = f"{method} {target}"
    after = snapshot(gh, victim, ["functions", "secrets"]) if writes else None
    if writes and after != before and method == "PUT":  # undo a hijack, so no later case inherits it
        check(gh.api("PUT", f"/v1/orgs/{victim.org}/functions/{victim.spare['functions']}",
                     resource_doc(gh, victim, "functions", victim.spare["functions"])), 200)
    if method == "PUT" and r.status_code == 201:
        # A trick that resolved to the attacker's own org created a function there under the
        # victim's spare name: remove it, or later listings of the attacker's org would hold it.
        check(gh.api("DELETE", f"/v1/orgs/{attacker.org}/functions/{victim.spare['functions']}"), 204)
    assert r.status_code < 500, f"{sent} → {r.status_code}: {r.text[:600]}"
    assert_no_leak(r, victim, target + (body or b"").decode())
    if 200 <= r.status_code < 300:
        assert principal in PRINCIPALS, f"{sent} by {attacker.org}'s {principal} → {r.status_code}: {r.text[:600]}"
        # Only acceptable as the attacker's own org (a trick that resolves to it).
        assert victim.org not in r.text, f"{sent} by {attacker.org}'s {principal} → {r.status_code}: {r.text[:600]}"
    else:
        assert r.status_code in (400, 401, 403, 404, 405), f"{sent} → {r.status_code}: {r.text[:400]}"
    if writes:
        assert after == before, f"{sent} by {attacker.org}'s {principal} changed {victim.org}: {r.status_code} {r.text[:300]}"


# The platform admin's own endpoints, through the same path tricks: an org principal (or no
# credential at all) must not create orgs or see or rotate Gatehouse's signing keys.
PLATFORM_PATH_TRICKS = [
    ("POST", "//v1/orgs"),
    ("POST", "/v1//orgs"),
    ("POST", "/v1/./orgs"),
    ("GET", "//v1/signing-keys"),
    ("GET", "/v1//signing-keys"),
    ("POST", "//v1/signing-keys/rotate"),
    ("POST", "/v1/signing-keys//rotate"),
]
PLATFORM_TRICK_CASES = [(i, p) for i in range(len(PLATFORM_PATH_TRICKS)) for p in TRICK_PRINCIPALS]


@pytest.mark.parametrize("trick, principal", PLATFORM_TRICK_CASES,
                         ids=[f"{PLATFORM_PATH_TRICKS[i][0]} {PLATFORM_PATH_TRICKS[i][1]}-{p}" for i, p in PLATFORM_TRICK_CASES])
def test_platform_path_tricks_need_the_platform_token(gh, tenants, trick, principal):
    attacker, victim = tenants["a"], tenants["b"]
    method, target = PLATFORM_PATH_TRICKS[trick]
    bearer = {"anonymous": None, "roleless-api-key": attacker.roleless_key}.get(principal) if principal not in PRINCIPALS \
        else credential(gh, attacker, principal)
    headers = [("Authorization", f"Bearer {bearer}")] if bearer else []
    body, org_name = None, uniq("made")
    if target.endswith("orgs"):
        body = json.dumps({"name": org_name}).encode()
        headers.append(("Content-Type", "application/json"))
    keys_before = check(gh.api("GET", "/v1/signing-keys"), 200).json()
    host, port = gh.admin_addr.rsplit(":", 1)
    r = http1_request(host, int(port), method=method, target=target, headers=headers, body=body, tls_ca=gh.ca, timeout=15)
    sent = f"{method} {target} by {attacker.org}'s {principal}"
    assert r.status_code in (400, 401, 403, 404, 405), f"{sent} → {r.status_code}: {r.text[:500]}"
    assert_no_leak(r, victim, target)
    assert gh.api("GET", f"/v1/orgs/{org_name}").status_code == 404, f"{sent} created org {org_name}"
    assert check(gh.api("GET", "/v1/signing-keys"), 200).json() == keys_before, f"{sent} rotated the signing keys"


ADMIN_HEADER_TRICKS = [
    {"X-Gatehouse-Org": "{b}"},
    {"X-Forwarded-Host": "{bh}", "Forwarded": "host={bh}"},
    {"X-Original-URL": "/v1/orgs/{b}/secrets", "X-Rewrite-URL": "/v1/orgs/{b}/secrets"},
    {"X-HTTP-Method-Override": "DELETE"},
]
ADMIN_HEADER_CASES = [(d, i, p) for d in DIRECTIONS for i in range(len(ADMIN_HEADER_TRICKS)) for p in PRINCIPALS]


@pytest.mark.parametrize("direction, trick, principal", ADMIN_HEADER_CASES,
                         ids=[f"{d}-{'+'.join(ADMIN_HEADER_TRICKS[i])}-{p}" for d, i, p in ADMIN_HEADER_CASES])
def test_admin_forged_headers_do_not_change_the_org(gh, tenants, direction, trick, principal):
    """Headers that name the victim's org on a request for the attacker's own: the answer is the
    attacker's, and the victim's data never appears."""
    attacker, victim = pair(tenants, direction)
    token = credential(gh, attacker, principal)
    headers = {k: fill(v, attacker, victim).replace("{bh}", victim.host) for k, v in ADMIN_HEADER_TRICKS[trick].items()}
    before = snapshot(gh, victim, ["secrets"])
    r = check(gh.api("GET", f"/v1/orgs/{attacker.org}/secrets", headers=headers, token=token), 200)
    assert {i["org"] for i in r.json()["items"]} == {attacker.org}, r.text[:400]
    assert_no_leak(r, victim, json.dumps(headers))
    assert snapshot(gh, victim, ["secrets"]) == before


# --- the size of the matrix ------------------------------------------------------------------------

MATRIX = {
    "admin: foreign operation → 403": len(ADMIN_CASES),
    "admin: own-org control": len(ADMIN_CASES),
    "admin: org list + platform-only": len(DIRECTIONS) * len(PRINCIPALS),
    "admin: existence oracle": len(DIRECTIONS) * len(PRINCIPALS),
    "admin: path tricks": len(ADMIN_TRICK_CASES),
    "admin: forged headers": len(ADMIN_HEADER_CASES),
    "admin: platform endpoints via path tricks": len(PLATFORM_TRICK_CASES),
    "edge: foreign credential → 401/403": len(EDGE_CASES),
    "edge: own-org control": sum(1 for _, c, r in EDGE_CASES if c in ACCEPTS[r]),
    "edge: public route, no identity": len(DIRECTIONS) * len(EDGE_CREDENTIALS),
    "edge: path tricks": len(EDGE_TRICK_CASES),
    "edge: host and header tricks": len(EDGE_HOST_CASES),
}


def test_matrix_size():
    expected = {
        "admin: foreign operation → 403": 2 * 3 * (7 * 8 + 5),
        "admin: own-org control": 2 * 3 * (7 * 8 + 5),
        "admin: org list + platform-only": 6,
        "admin: existence oracle": 6,
        "admin: path tricks": 2 * 21 * 5 * 6,
        "admin: forged headers": 2 * 4 * 3,
        "admin: platform endpoints via path tricks": 7 * 5,
        "edge: foreign credential → 401/403": 2 * 6 * 5,
        "edge: own-org control": 2 * (2 + 3 + 5 + 1 + 5),
        "edge: public route, no identity": 2 * 6,
        "edge: path tricks": 2 * 30 * 2 * 2,
        "edge: host and header tricks": 2 * 15 * 2 * 2,
    }
    print("\nisolation matrix:", json.dumps(MATRIX, indent=1), "total", sum(MATRIX.values()))
    assert MATRIX == expected
