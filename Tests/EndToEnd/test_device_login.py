"""The device authorization grant (RFC 8628) and refresh tokens: a device asks for codes at
`/auth/device/code`, a person opens `verification_uri_complete` and signs in through the org's
OIDC provider (the real Authlib one), the device's poll at `/auth/token` gets a Gatehouse access
token and a refresh token; refreshing rotates, a reused refresh token revokes its whole family
(RFC 9700 §4.14.2), `/auth/revoke` (RFC 7009) ends a login."""

from __future__ import annotations

import httpx
import pytest

from harness import assert_problem, check, ssl_context
from test_login import browser, claims, idp, oidc_org  # noqa: F401  (idp is a fixture)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLI = "gatehouse-cli"


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory(name="gatehouse-device")


def post(gh, path: str, data: dict) -> httpx.Response:
    with httpx.Client(verify=ssl_context(gh.ca), timeout=15) as c:
        return c.post(f"{gh.admin_url}{path}", data=data)


def oauth_error(r: httpx.Response, code: str, status: int = 400) -> None:
    assert r.status_code == status, f"{r.status_code}: {r.text[:300]}"
    assert r.headers["cache-control"] == "no-store"
    assert r.json()["error"] == code, r.text


def device_code(gh, org: str, **extra) -> dict:
    r = check(post(gh, "/auth/device/code", {"client_id": CLI, "org": org, **extra}), 200)
    assert r.headers["cache-control"] == "no-store"
    return r.json()


def confirm_page(b, codes: dict, hint: str) -> httpx.Response:
    """The code's page: it names what the device asks for and starts nothing by itself."""
    r = check(b.get(f"{codes['verification_uri_complete']}&login_hint={hint}"), 200)
    assert r.headers["content-type"].startswith("text/html") and codes["user_code"] in r.text, r.text[:300]
    assert 'method="post"' in r.text and "location" not in r.headers
    return r


def approve(gh, codes: dict, hint: str = "alice") -> None:
    """The person's browser: the code's page, the confirmation (a same-origin POST), the
    provider (auto-approving `login_hint`), back."""
    with browser(gh) as b:
        confirm_page(b, codes, hint)
        r = check(b.post(f"{gh.admin_url}/auth/device", data={"user_code": codes["user_code"], "login_hint": hint},
                         headers={"Origin": gh.admin_url}), 303)
        r = b.get(r.headers["location"])
        assert r.status_code in (302, 303), r.text[:300]
        r = check(b.get(r.headers["location"]), 200)
        assert r.headers["content-type"].startswith("text/html")
        assert "close this window" in r.text
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert not any(c.name == "__Host-gatehouse-session" for c in b.cookies.jar), "the browser is not the device"


def poll(gh, codes: dict) -> httpx.Response:
    return post(gh, "/auth/token", {"grant_type": DEVICE_GRANT, "device_code": codes["device_code"], "client_id": CLI})


def refresh(gh, token: str, **extra) -> httpx.Response:
    return post(gh, "/auth/token", {"grant_type": "refresh_token", "refresh_token": token, "client_id": CLI, **extra})


def test_a_device_signs_in_through_the_browser_and_gets_tokens(gh, idp, upstream):  # noqa: F811
    org = oidc_org(gh, idp)
    codes = device_code(gh, org, scope="deploy")
    assert codes["verification_uri"] == f"{gh.admin_url}/auth/device"
    assert codes["verification_uri_complete"] == f"{gh.admin_url}/auth/device?user_code={codes['user_code']}"
    assert codes["expires_in"] == 600 and codes["interval"] == 5, codes
    code = codes["user_code"]
    assert len(code) == 9 and code[4] == "-" and all(c in "BCDFGHJKLMNPQRSTVWXZ" for c in code.replace("-", "")), code
    approve(gh, codes)
    r = check(poll(gh, codes), 200)
    assert r.headers["cache-control"] == "no-store"
    tokens = r.json()
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"].startswith("grt_"), tokens.keys()
    c = claims(tokens["access_token"])
    assert c["sub"] == "alice" and c["org"] == org and c["kind"] == "user" and c["idp"] == "corp", c
    assert c["scope"] == "deploy" and c["client_id"] == CLI and c["aud"] == gh.admin_url, c
    # The token works on the admin API of its org, as far as the user's roles go.
    gh.bind(org, "viewer", "user:alice")
    check(gh.api("GET", f"/v1/orgs/{org}/functions", token=tokens["access_token"]), 200)
    # ... and calls the org's protected functions at the edge, as the user.
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "http", "http": {"url": f"{upstream.url}/base"}}), 201)
    for name, auth in (("mine", {"mode": "jwt", "providers": ["corp"], "scopes": ["deploy"]}),
                       ("admins", {"mode": "jwt", "groups": ["admins"]})):
        check(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": name, "function": "fn", "paths": [f"/{name}"], "auth": auth}), 201)
    with gh.client("h2") as edge:
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        for _ in range(100):  # the routes reach the edge within milliseconds
            if (r := edge.get(f"/{org}/mine", headers=bearer)).status_code != 404:
                break
        seen = check(r, 200).json()["headers"]
        identity = claims(seen["x-gatehouse-identity"])
        assert (identity["sub"], identity["kind"], identity["idp"]) == ("alice", "user", "corp"), identity
        assert sorted(identity["groups"]) == ["eng", "ops"], identity
        assert_problem(edge.get(f"/{org}/admins", headers=bearer), 403)
    # A device code yields tokens once.
    oauth_error(poll(gh, codes), "invalid_grant")
    assert code not in gh.log_text() and codes["device_code"] not in gh.log_text()
    assert tokens["refresh_token"] not in gh.log_text()


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(gh, idp):  # noqa: F811
    org = oidc_org(gh, idp)
    codes = device_code(gh, org)
    approve(gh, codes)
    first = check(poll(gh, codes), 200).json()["refresh_token"]
    second_doc = check(refresh(gh, first), 200).json()
    second = second_doc["refresh_token"]
    assert second != first and claims(second_doc["access_token"])["sub"] == "alice"
    oauth_error(refresh(gh, second, scope="more"), "invalid_scope")  # does not spend the token
    third = check(refresh(gh, second), 200).json()["refresh_token"]
    oauth_error(refresh(gh, first), "invalid_grant")  # replay of a rotated token
    oauth_error(refresh(gh, third), "invalid_grant")  # ... revoked the whole family
    oauth_error(refresh(gh, "grt_unknown"), "invalid_grant")
    oauth_error(post(gh, "/auth/token", {"grant_type": "refresh_token", "refresh_token": third, "client_id": "other"}),
                "invalid_client", 401)


def test_revocation_ends_a_login(gh, idp):  # noqa: F811
    org = oidc_org(gh, idp)
    codes = device_code(gh, org)
    approve(gh, codes)
    token = check(poll(gh, codes), 200).json()["refresh_token"]
    check(post(gh, "/auth/revoke", {"token": token, "client_id": CLI}), 200)
    check(post(gh, "/auth/revoke", {"token": token, "client_id": CLI}), 200)  # unknown: 200 as well
    oauth_error(refresh(gh, token), "invalid_grant")


def test_polling_before_approval_is_pending_then_slow_down(gh, idp):  # noqa: F811
    org = oidc_org(gh, idp)
    codes = device_code(gh, org)
    oauth_error(poll(gh, codes), "authorization_pending")
    r = poll(gh, codes)
    oauth_error(r, "slow_down")
    assert "10" in r.json()["error_description"]


def test_bad_device_requests(gh, idp):  # noqa: F811
    org = oidc_org(gh, idp)
    oauth_error(post(gh, "/auth/device/code", {"client_id": "someone", "org": org}), "invalid_client", 401)
    oauth_error(post(gh, "/auth/device/code", {"client_id": CLI}), "invalid_request")
    oauth_error(post(gh, "/auth/device/code", {"client_id": CLI, "org": "no-such-org"}), "invalid_request")
    oauth_error(post(gh, "/auth/device/code", {"client_id": CLI, "org": org, "provider": "nope"}), "invalid_request")
    oauth_error(post(gh, "/auth/token", {"grant_type": DEVICE_GRANT, "device_code": "made-up", "client_id": CLI}), "invalid_grant")
    with browser(gh) as b:
        form = check(b.get(f"{gh.admin_url}/auth/device"), 200)
        assert form.headers["content-type"].startswith("text/html") and 'name="user_code"' in form.text
        assert_problem(b.get(f"{gh.admin_url}/auth/device", params={"user_code": "BCDF-GHJK"}), 400)
        assert_problem(b.post(f"{gh.admin_url}/auth/device", data={"user_code": "BCDF-GHJK"},
                              headers={"Origin": gh.admin_url}), 400)


def test_a_device_is_approved_only_from_gatehouses_own_page(gh, idp):  # noqa: F811
    """RFC 8628 5.4: a link or a foreign page must not sign a person in for someone else's device."""
    org = oidc_org(gh, idp)
    codes = device_code(gh, org)
    with browser(gh) as b:
        page = confirm_page(b, codes, "alice")
        assert org in page.text and "corp" in page.text
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            assert_problem(b.post(f"{gh.admin_url}/auth/device", data={"user_code": codes["user_code"]}, headers=headers), 403)
    oauth_error(poll(gh, codes), "authorization_pending")
