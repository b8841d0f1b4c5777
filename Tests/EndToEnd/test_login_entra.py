"""Browser login through an `azure-ad` provider: the real OIDC provider serving Entra ID's
layout (`{baseUrl}/{tenant}/v2.0`), the authorization code flow with PKCE and nonce, and the
session it leaves, at the control listener and at the edge."""

from __future__ import annotations

import json

import pytest

from harness import assert_problem, check, uniq
from identity_peers import GRAPH_TOKENS, OIDC_CONFIG, start_peer
from test_login import browser, login

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.fixture(scope="module")
def entra(tmp_path_factory):
    config = json.loads(json.dumps(OIDC_CONFIG))
    for client in config["clients"]:
        client["redirect_uris"] = ["https://127.0.0.1:*/auth/*/*/callback"]
    # In more groups than a token holds (graph_api.py's "overage" user: 250 of them).
    config["users"].append({"username": "overage", "email": "overage@contoso.example", "groups_overage": True,
                            "graph_token": GRAPH_TOKENS["overage"]})
    peer = start_peer("oidc", tmp_path_factory.mktemp("peer-entra"), config, ["--issuer-path", f"/{TENANT}/v2.0"])
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory(name="gatehouse-entra")


def test_entra_id_login_opens_the_org_at_the_control_listener_and_the_edge(gh, entra, upstream):
    org = gh.create_org(uniq("entra"))
    check(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "entra", "type": "azure-ad",
        "azureAd": {"tenant": TENANT, "clientId": "gatehouse", "clientSecret": "gatehouse-secret",
                    "baseUrl": entra.issuer[: -len(f"/{TENANT}/v2.0")]}}), 201)
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes",
                 {"name": "app", "function": "fn", "paths": ["/app"], "auth": {"mode": "session", "groups": ["eng"]}}))
    with browser(gh) as b:
        check(login(b, gh, org, "entra"), 303)
        doc = check(b.get(f"{gh.admin_url}/auth/session"), 200).json()
        assert (doc["subject"], doc["provider"], sorted(doc["groups"])) == ("alice", "entra", ["eng", "ops"]), doc
        check(b.get(f"{gh.edge_url}/{org}/app"), 200)
    with browser(gh) as b:
        check(login(b, gh, org, "entra", login_hint="bob"), 303)  # bob is in no group
        assert_problem(b.get(f"{gh.edge_url}/{org}/app"), 403)


def test_group_overage_is_resolved_with_microsoft_graph(gh, entra, graph_api, upstream):
    org = gh.create_org(uniq("overage"))
    check(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "entra", "type": "azure-ad",
        "azureAd": {"tenant": TENANT, "clientId": "gatehouse", "clientSecret": "gatehouse-secret",
                    "baseUrl": entra.issuer[: -len(f"/{TENANT}/v2.0")], "graphBaseUrl": graph_api.base_url}}), 201)
    gh.create_function(org, "fn", f"{upstream.url}/base")
    wanted = "0a0a0a0a-0000-4000-8000-000000001007"  # one of the 250 groups only Graph knows
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes",
                 {"name": "app", "function": "fn", "paths": ["/app"], "auth": {"mode": "session", "groups": [wanted]}}))
    with browser(gh) as b:
        check(login(b, gh, org, "entra", login_hint="overage"), 303)
        cookie = next(c for c in b.cookies.jar if c.name == "__Host-gatehouse-session")
        assert len(cookie.value) < 512, "the group list must stay server-side"
        doc = check(b.get(f"{gh.admin_url}/auth/session"), 200).json()
        assert len(doc["groups"]) >= 250 and wanted in doc["groups"], len(doc["groups"])
        check(b.get(f"{gh.edge_url}/{org}/app"), 200)
    calls = [r for r in graph_api.requests() if r["path"].endswith("/getMemberObjects")]
    assert calls, graph_api.requests()
