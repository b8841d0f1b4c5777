"""The admin API's principals besides the platform admin token: a service account's Gatehouse
token (from its assertion at `/auth/token`), a signed-in user's Gatehouse token (from
`/auth/session`), and an org API key. Each may do nothing until a policy binds it a role; with
`org-admin` it manages its own org and nothing else (403 with an RFC 6750 `insufficient_scope`
challenge); a tampered or foreign token is 401 `invalid_token`."""

from __future__ import annotations

import pytest

from harness import assert_problem, check, uniq
from test_login import browser, idp, login, oidc_org  # noqa: F401  (idp is a fixture)
from test_token_endpoint import JWT_BEARER, account, assertion, exchange


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory(name="gatehouse-principals")


def tamper(token: str) -> str:
    head, payload, signature = token.split(".")
    return ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])


def can_manage_only_its_org(gh, org: str, token: str, subject: str) -> None:
    r = gh.api("GET", f"/v1/orgs/{org}/functions", token=token)
    assert_problem(r, 403, "forbidden")  # authenticated, but no role yet
    assert "functions:read" in r.json()["detail"], r.json()
    gh.bind(org, "org-admin", subject)
    check(gh.api("GET", f"/v1/orgs/{org}/functions", token=token), 200)
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/hello", {"runtime": "http", "http": {"url": "http://127.0.0.1:9/"}},
                 token=token), 201)
    listed = check(gh.api("GET", "/v1/orgs", token=token), 200).json()
    assert [o["name"] for o in listed["items"]] == [org], listed
    other = gh.create_org(uniq("other"))
    r = gh.api("GET", f"/v1/orgs/{other}/functions", token=token)
    assert_problem(r, 403, "forbidden")
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="gatehouse", error="insufficient_scope"'), challenge
    assert_problem(gh.api("POST", "/v1/orgs", {"name": uniq("mine")}, token=token), 403, "forbidden")
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}", token=token), 403, "forbidden")
    # Gatehouse's own keys are the platform's, whatever role an org gives.
    assert_problem(gh.api("POST", "/v1/signing-keys/rotate", token=token), 403, "forbidden")
    assert_problem(gh.api("GET", "/v1/signing-keys", token=token), 403, "forbidden")


def invalid_token(r) -> None:
    assert_problem(r, 401, "unauthorized")
    assert 'error="invalid_token"' in r.headers["www-authenticate"], r.headers


def test_a_service_account_token_manages_its_org(gh):
    org, name, key = account(gh)
    r = check(exchange(gh, {"grant_type": JWT_BEARER, "assertion": assertion(gh, org, name, key)}), 200)
    token = r.json()["access_token"]
    can_manage_only_its_org(gh, org, token, f"service-account:{name}")
    invalid_token(gh.api("GET", f"/v1/orgs/{org}/functions", token=tamper(token)))


def test_a_signed_in_users_token_manages_its_org(gh, idp):  # noqa: F811
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        check(login(b, gh, org), 303)
        token = check(b.get(f"{gh.admin_url}/auth/session", headers={"X-Gatehouse-Token-Request": "1"}), 200).json()["accessToken"]
    # Bound by email: the user's Gatehouse token carries the email the provider vouched for.
    can_manage_only_its_org(gh, org, token, "user:alice@example.com")


def test_an_api_key_manages_its_org_until_revoked(gh):
    org = gh.create_org(uniq("keys"))
    key = check(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": "bot"}), 201).json()["key"]
    can_manage_only_its_org(gh, org, key, "api-key:bot")
    check(gh.api("PUT", f"/v1/orgs/{org}/api-keys/bot", {"revoked": True}), 200)
    invalid_token(gh.api("GET", f"/v1/orgs/{org}/functions", token=key))


def test_bad_credentials_are_refused(gh):
    org = gh.create_org(uniq("bad"))
    invalid_token(gh.api("GET", f"/v1/orgs/{org}/functions", token="eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."))
    invalid_token(gh.api("GET", f"/v1/orgs/{org}/functions", token="gak_0123456789abcdef_" + "A" * 43))
    r = gh.api("GET", f"/v1/orgs/{org}/functions", auth=False)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == 'Bearer realm="gatehouse"'
    # The platform admin token keeps working everywhere.
    check(gh.api("DELETE", f"/v1/orgs/{org}"), 204)
