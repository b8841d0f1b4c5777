"""Policies through the admin API and the CLI: what a policy document may say (and the field
named when it may not), roles across an org's policies, RBAC on every admin call of an org's
principals (nothing by default; each built-in role's reach), the access-check endpoint that
explains decisions, and role files that stop start-up when they do not parse."""

from __future__ import annotations

import json
import subprocess

import pytest

from harness import assert_problem, check, gatehouse_bin, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def api_key(gh, org: str, name: str) -> str:
    return check(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": name}), 201).json()["key"]


def test_policy_crud_round_trips_and_lists(gh):
    org = gh.create_org()
    doc = {
        "description": "who deploys",
        "roles": [{"name": "deployer", "permissions": ["functions:*", "routes:*"]}],
        "bindings": [{"role": "deployer", "subjects": ["service-account:ci", "group:eng"]},
                     {"role": "viewer", "subjects": ["github-org:acme"]}],
        "rateLimits": [{"name": "per-caller", "requests": 100, "periodSeconds": 1, "burst": 20, "key": "principal"}],
        "requestLimits": [{"maxBodyBytes": 1024, "routes": ["rt"]}],
        "ipRules": [{"deny": ["203.0.113.0/24", "2001:db8::/32"]}],
        "cors": [{"origins": ["https://*.example.com"], "allowCredentials": True, "maxAgeSeconds": 600}],
    }
    created = check(gh.api("PUT", f"/v1/orgs/{org}/policies/default", doc), 201)
    assert created.headers["location"] == f"/v1/orgs/{org}/policies/default"
    body = created.json()
    assert body["name"] == "default" and body["org"] == org and body["revision"] > 0
    assert {k: body[k] for k in doc} == doc
    got = check(gh.api("GET", f"/v1/orgs/{org}/policies/default"), 200).json()
    assert got == body
    # What GET returned can be PUT back unchanged.
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/default", got, headers={"If-Match": created.headers["etag"]}), 200)
    listed = check(gh.api("GET", f"/v1/orgs/{org}/policies"), 200).json()
    assert [p["name"] for p in listed["items"]] == ["default"]
    # An org that holds a policy is not empty.
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}"), 409)
    check(gh.api("DELETE", f"/v1/orgs/{org}/policies/default"), 204)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/policies/default"), 404)


@pytest.mark.parametrize("doc, field", [
    ({"roles": [{"name": "r", "permissions": ["functions:fly"]}]}, "roles[0].permissions[0]"),
    ({"roles": [{"name": "r", "permissions": ["lambdas:read"]}]}, "roles[0].permissions[0]"),
    ({"roles": [{"name": "r", "permissions": []}]}, "roles[0].permissions"),
    ({"roles": [{"name": "viewer", "permissions": ["functions:read"]}]}, "roles[0].name"),
    ({"roles": [{"name": "Bad Name", "permissions": ["functions:read"]}]}, "roles[0].name"),
    ({"bindings": [{"role": "nobody", "subjects": ["user:a"]}]}, "bindings[0].role"),
    ({"bindings": [{"role": "platform-admin", "subjects": ["user:a"]}]}, "bindings[0].role"),
    ({"bindings": [{"role": "viewer", "subjects": ["person:a"]}]}, "bindings[0].subjects[0]"),
    ({"bindings": [{"role": "viewer", "subjects": ["user:"]}]}, "bindings[0].subjects[0]"),
    ({"bindings": [{"role": "viewer", "subjects": []}]}, "bindings[0].subjects"),
    ({"rateLimits": [{"name": "r", "requests": 0, "periodSeconds": 1, "key": "org"}]}, "rateLimits[0].requests"),
    ({"rateLimits": [{"name": "r", "requests": 1, "periodSeconds": 0, "key": "org"}]}, "rateLimits[0].periodSeconds"),
    ({"rateLimits": [{"name": "r", "requests": 1, "periodSeconds": 1, "key": "org", "routes": []}]}, "rateLimits[0].routes"),
    ({"rateLimits": [{"name": "r", "requests": 1, "periodSeconds": 1, "key": "org"},
                     {"name": "r", "requests": 2, "periodSeconds": 1, "key": "org"}]}, "rateLimits[1]"),
    ({"requestLimits": [{"contentTypes": ["json"]}]}, "requestLimits[0].contentTypes[0]"),
    ({"requestLimits": [{"methods": ["FETCH"]}]}, "requestLimits[0].methods[0]"),
    ({"requestLimits": [{"routes": ["rt"]}]}, "requestLimits[0]"),
    ({"ipRules": [{"deny": ["10.0.0.1/8"]}]}, "ipRules[0].deny[0]"),
    ({"ipRules": [{"allow": ["not-an-ip"]}]}, "ipRules[0].allow[0]"),
    ({"ipRules": [{}]}, "ipRules[0]"),
    ({"cors": [{"origins": ["*"], "allowCredentials": True}]}, "cors[0]"),
    ({"cors": [{"origins": ["ftp://x.example"]}]}, "cors[0]"),
    ({"cors": [{"origins": ["https://a.example"], "maxAgeSeconds": 86401}]}, "cors[0].maxAgeSeconds"),
])
def test_bad_policies_are_refused_naming_the_field(gh, doc, field):
    org = gh.create_org()
    r = gh.api("PUT", f"/v1/orgs/{org}/policies/p", doc)
    problem = assert_problem(r, 400)
    assert problem.get("field") == field, problem
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/policies/p"), 404)


def test_bad_policy_bodies_get_problems(gh):
    org = gh.create_org()
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}/policies/p", content="{", headers={"content-type": "application/json"}), 400)
    problem = assert_problem(gh.api("PUT", f"/v1/orgs/{org}/policies/p", {"bindings": [], "bindingz": []}), 400)
    assert problem.get("field") == "bindingz", problem
    problem = assert_problem(gh.api("PUT", f"/v1/orgs/{org}/policies/p", {"rateLimits": [
        {"name": "r", "requests": 1, "periodSeconds": 1, "key": "everyone"}]}), 400)
    assert "rate-limit key" in problem["detail"], problem


def test_roles_belong_to_the_org_across_its_policies(gh):
    org = gh.create_org()
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/roles", {"roles": [{"name": "auditor", "permissions": ["*:read"]}]}), 201)
    # Another policy binds it; a third may not define it again.
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/people", {"bindings": [{"role": "auditor", "subjects": ["group:audit"]}]}), 201)
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}/policies/again", {"roles": [{"name": "auditor", "permissions": ["*:*"]}]}), 409)
    # While bound, the role can be neither deleted nor dropped from its policy.
    r = assert_problem(gh.api("DELETE", f"/v1/orgs/{org}/policies/roles"), 409)
    assert "people" in r["detail"], r
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}/policies/roles", {"description": "emptied"}), 409)
    check(gh.api("DELETE", f"/v1/orgs/{org}/policies/people"), 204)
    check(gh.api("DELETE", f"/v1/orgs/{org}/policies/roles"), 204)


def test_each_built_in_role_reaches_what_it_names(gh):
    """One API key per built-in role; every admin operation on functions and policies, plus
    reading the org: each allowed exactly when the role grants it."""
    org = gh.create_org()
    keys = {role: api_key(gh, org, role) for role in ("org-admin", "developer", "viewer", "invoker")}
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/roles", {
        "bindings": [{"role": role, "subjects": [f"api-key:{role}"]} for role in keys]}), 201)
    fn = {"runtime": "http", "http": {"url": "http://127.0.0.1:9/"}}
    expected = {
        # operation: roles that may
        ("GET", f"/v1/orgs/{org}"): {"org-admin", "developer", "viewer"},
        ("PUT", f"/v1/orgs/{org}"): {"org-admin"},
        ("GET", f"/v1/orgs/{org}/functions"): {"org-admin", "developer", "viewer"},
        ("POST", f"/v1/orgs/{org}/functions"): {"org-admin", "developer"},
        ("PUT", f"/v1/orgs/{org}/functions/{{role}}"): {"org-admin", "developer"},
        ("DELETE", f"/v1/orgs/{org}/functions/{{role}}"): {"org-admin", "developer"},
        ("GET", f"/v1/orgs/{org}/policies"): {"org-admin", "developer", "viewer"},
        ("PUT", f"/v1/orgs/{org}/policies/{{role}}"): {"org-admin"},
        ("GET", f"/v1/orgs/{org}/secrets"): {"org-admin", "developer", "viewer"},
        ("POST", f"/v1/orgs/{org}/api-keys"): {"org-admin"},
    }
    checked = 0
    for (method, path), allowed in expected.items():
        for role, key in keys.items():
            p = path.replace("{role}", role)
            body = None
            if method == "PUT" and "/functions/" in p:
                body = fn
            elif method == "POST" and p.endswith("/functions"):
                body = {"name": f"new-{role}", **fn}
            elif method == "PUT" and "/policies/" in p:
                body = {"description": "by " + role}
            elif method == "PUT":
                body = {"displayName": role}
            elif method == "POST":
                body = {"name": f"key-{role}"}
            r = gh.api(method, p, body, token=key)
            if role in allowed:
                assert r.status_code in (200, 201, 204, 404), (method, p, role, r.status_code, r.text)
            else:
                problem = assert_problem(r, 403, "forbidden")
                assert "is not granted" in problem["detail"], problem
                assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
            checked += 1
    assert checked == len(expected) * len(keys)


def test_a_put_that_creates_needs_create_as_well_as_update(gh):
    org = gh.create_org()
    key = api_key(gh, org, "editor")
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/p", {
        "roles": [{"name": "editor", "permissions": ["functions:read", "functions:update"]}],
        "bindings": [{"role": "editor", "subjects": ["api-key:editor"]}]}), 201)
    fn = {"runtime": "http", "http": {"url": "http://127.0.0.1:9/"}}
    r = assert_problem(gh.api("PUT", f"/v1/orgs/{org}/functions/new", fn, token=key), 403)
    assert "functions:create" in r["detail"], r
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/old", fn), 201)
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/old", {**fn, "timeoutMs": 5000}, token=key), 200)
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}/functions/old", token=key), 403)


def test_a_binding_in_one_org_grants_nothing_in_another(gh):
    mine, theirs = gh.create_org(), gh.create_org()
    key = api_key(gh, mine, "bot")
    # The other org binds a subject of the same name: it is not this key.
    gh.bind(theirs, "org-admin", "api-key:bot")
    gh.bind(mine, "viewer", "api-key:bot")
    check(gh.api("GET", f"/v1/orgs/{mine}/functions", token=key), 200)
    r = gh.api("GET", f"/v1/orgs/{theirs}/functions", token=key)
    assert_problem(r, 403, "forbidden")
    assert "api-key" not in r.text or theirs in r.text  # says which org, names nothing of theirs


def test_access_checks_explain_the_deciding_rule(gh):
    org = gh.create_org()
    gh.bind(org, "developer", "group:eng", "user:bob@example.com")
    url = f"/v1/orgs/{org}/access-checks"
    yes = check(gh.api("POST", url, {"subjects": ["group:eng"], "resource": "functions", "action": "create"}), 200).json()
    assert yes["allowed"] is True and yes["subjects"] == ["group:eng"], yes
    assert yes["rule"].startswith("role developer (functions:*) bound to group:eng in policy " + org + "/access"), yes
    no = check(gh.api("POST", url, {"subjects": ["group:eng"], "resource": "policies", "action": "update"}), 200).json()
    assert no["allowed"] is False and "policies:update" in no["rule"], no
    nobody = check(gh.api("POST", url, {"subjects": [], "resource": "functions", "action": "read"}), 200).json()
    assert nobody["allowed"] is False
    # Without subjects: the caller. A viewer's key may ask (policies:read) and learns its own reach.
    key = api_key(gh, org, "look")
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/viewers", {"bindings": [{"role": "viewer", "subjects": ["api-key:look"]}]}), 201)
    mine = check(gh.api("POST", url, {"resource": "functions", "action": "delete"}, token=key), 200).json()
    assert mine == {"allowed": False, "rule": mine["rule"], "subjects": ["api-key:look"]}, mine
    # Bad questions are problems naming the field.
    for body, field in (({"resource": "lambdas", "action": "read"}, "resource"),
                        ({"resource": "functions", "action": "*"}, "action"),
                        ({"subjects": ["nobody"], "resource": "functions", "action": "read"}, "subjects[0]")):
        assert assert_problem(gh.api("POST", url, body), 400).get("field") == field
    assert_problem(gh.api("POST", url, {"resource": "functions"}), 400)
    assert_problem(gh.api("POST", f"/v1/orgs/{uniq('none')}/access-checks", {"resource": "functions", "action": "read"}), 404)
    r = gh.api("GET", url)
    assert r.status_code == 405 and r.headers["allow"] == "POST", r


def test_policy_cli_commands_and_apply(gh, tmp_path, upstream):
    cli = gh.cli(tmp_path)

    org = uniq("clipol")
    cli("org", "create", org)
    cli("policy", "create", "team", "--org", org, "--role", "deployer=functions:*,routes:*",
        "--bind", "deployer=group:eng", "--bind", "deployer=service-account:ci", "--bind", "viewer=github-org:acme")
    got = json.loads(cli("policy", "get", "team", "--org", org, "-o", "json").stdout)
    assert got["roles"] == [{"name": "deployer", "permissions": ["functions:*", "routes:*"]}]
    assert got["bindings"] == [{"role": "deployer", "subjects": ["group:eng", "service-account:ci"]},
                               {"role": "viewer", "subjects": ["github-org:acme"]}]
    table = cli("policy", "list", "--org", org).stdout
    assert "team" in table and "deployer=group:eng+service-account:ci" in table, table
    updated = json.loads(cli("policy", "update", "team", "--org", org, "--bind", "deployer=group:ops", "-o", "json").stdout)
    assert [b["subjects"] for b in updated["bindings"]] == [["group:ops"]]
    # `policy check` prints the deciding rule and exits 1 when denied.
    out = cli("policy", "check", "--org", org, "--subject", "group:ops", "--resource", "routes", "--action", "create").stdout
    assert out.startswith("allowed: role deployer (routes:*) bound to group:ops"), out
    out = cli("policy", "check", "--org", org, "--subject", "group:ops", "--resource", "secrets", "--action", "read",
              expect=1).stdout
    assert out.startswith("denied: no role bound to this caller grants secrets:read"), out
    decided = json.loads(cli("policy", "check", "--org", org, "--resource", "functions", "--action", "read", "-o", "json").stdout)
    assert decided["allowed"] is True and "platform admin" in decided["rule"], decided
    p = cli("policy", "create", "bad", "--org", org, "--bind", "viewer=nobody", expect=1)
    assert "bindings[0].subjects[0]" in p.stderr, p.stderr
    assert "--bind takes ROLE=SUBJECT" in cli("policy", "create", "bad", "--org", org, "--bind", "viewer", expect=2).stderr

    doc = tmp_path / "policy.yaml"
    doc.write_text(f"""
kind: policy
name: edge
org: {org}
bindings:
  - role: developer
    subjects: [group:eng]
rateLimits:
  - name: per-ip
    requests: 10
    periodSeconds: 1
    key: client-ip
ipRules:
  - deny: [192.0.2.0/24]
""")
    cli("apply", "-f", str(doc))
    cli("apply", "-f", str(doc))  # idempotent
    applied = check(gh.api("GET", f"/v1/orgs/{org}/policies/edge"), 200).json()
    assert applied["rateLimits"][0]["key"] == "client-ip" and applied["ipRules"] == [{"deny": ["192.0.2.0/24"]}]
    cli("delete", "-f", str(doc))
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/policies/edge"), 404)
    cli("policy", "delete", "team", "--org", org)
    cli("org", "delete", org)


def test_role_files_load_at_start_and_a_bad_one_stops_it(gatehouse_factory, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "roles.yaml").write_text("kind: role\nname: reader\npermissions: [functions:read]\n")
    gh = gatehouse_factory("--policies-dir", str(good), name="gatehouse-roles")
    org = gh.create_org()
    # The directory's roles replace the built-in ones.
    check(gh.api("PUT", f"/v1/orgs/{org}/policies/p", {"bindings": [{"role": "reader", "subjects": ["group:x"]}]}), 201)
    problem = assert_problem(gh.api("PUT", f"/v1/orgs/{org}/policies/q", {"bindings": [{"role": "viewer", "subjects": ["group:x"]}]}), 400)
    assert "reader" in problem["detail"], problem
    gh.terminate()

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "roles.yaml").write_text("kind: role\nname: reader\npermissions:\n  - functions:read\n  - functions:fly\n")
    p = subprocess.run(
        [str(gatehouse_bin()), "serve", "--data-dir", str(tmp_path / "data"), "--certs-dir", str(tmp_path / "certs"),
         "--public-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--policies-dir", str(bad)],
        capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert f"{bad}/roles.yaml:5:" in out and "functions:fly" in out, out


def test_the_example_policies_apply(gh, tmp_path):
    """`policies/examples/*.yaml` are what the README points to: they must stay valid."""
    from pathlib import Path
    examples = sorted((Path(__file__).resolve().parents[2] / "policies" / "examples").glob("*.yaml"))
    assert examples
    cli = gh.cli(tmp_path)
    for example in examples:
        org = uniq("example")
        gh.create_org(org)
        text = example.read_text().replace("org: acme", f"org: {org}")
        doc = tmp_path / example.name
        doc.write_text(text)
        cli("apply", "-f", str(doc))
        assert check(gh.api("GET", f"/v1/orgs/{org}/policies"), 200).json()["items"]
