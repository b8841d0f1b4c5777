"""Functions on FaaS engines the cluster already runs: an OpenFaaS gateway (every request
Gatehouse sends is checked against the gateway's published OpenAPI description) and Knative
Services (by URL, or through the ingress by `Host`), behind the same routes as any function;
the runtime blocks' validation, and the CLI's flags for them."""

from __future__ import annotations

import json

import pytest

from faas_engines import KnativeIngress, OpenFaaSGateway
from harness import assert_problem, check, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def openfaas():
    gateway = OpenFaaSGateway()
    yield gateway
    gateway.close()


@pytest.fixture(scope="module")
def knative():
    ingress = KnativeIngress({"hello.default.svc.cluster.local", "greeter.team-a.example.dev"})
    yield ingress
    ingress.close()


def _publish(gh, function: dict, paths=("/call",), methods=None) -> str:
    org = gh.create_org(uniq("eng"))
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **function}), 201)
    route = {"name": "rt", "function": "fn", "paths": list(paths), "auth": {"mode": "none"}}
    if methods:
        route["methods"] = methods
    gh.wait_for_revision(check(gh.api("POST", f"/v1/orgs/{org}/routes", route), 201).json()["revision"])
    return org


def test_openfaas_functions_are_invoked_at_the_gateways_documented_path(gh, openfaas):
    org = _publish(gh, {"runtime": "openfaas", "openfaas": {"gateway": openfaas.url, "function": "echo"}},
                   paths=["/call", "/items/{id}"], methods=["POST"])
    spaced = _publish(gh, {"runtime": "openfaas",
                           "openfaas": {"gateway": f"{openfaas.url}/", "function": "echo", "namespace": "team-a"}},
                      methods=["POST"])
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call?x=1", content=b'{"hello": "world"}', headers={"content-type": "application/json"}), 200)
        assert r.json() == {"function": "echo", "namespace": None, "path": "/call", "query": "x=1", "method": "POST",
                            "body": '{"hello": "world"}'}, r.json()
        assert check(c.post(f"/{org}/items/42", content=b"x"), 200).json()["path"] == "/items/42"
        r = check(c.post(f"/{spaced}/call", content=b"ns"), 200)
        assert r.json()["function"] == "echo" and r.json()["namespace"] == "team-a", r.json()
    sent = [f"{x['method']} {x['path']}" for x in openfaas.received[-3:]]
    assert sent == ["POST /function/echo/call", "POST /function/echo/items/42", "POST /function/echo.team-a/call"], sent
    # The gateway gets the edge's forwarding headers, like any upstream, and never the route's org prefix.
    assert openfaas.received[-1]["headers"]["x-gatehouse-function"] == "fn"
    assert openfaas.violations == [], openfaas.violations


def test_the_contract_check_itself_catches_undocumented_requests(openfaas):
    """The stand-in's check must be able to fail, or the test above proves nothing."""
    before = len(openfaas.violations)
    assert openfaas.check("PATCH", "/function/echo") is not None
    assert openfaas.check("GET", "/nowhere") is None
    assert len(openfaas.violations) == before + 2
    del openfaas.violations[before:]


def test_knative_services_by_ingress_host_or_url(gh, knative):
    by_ingress = _publish(gh, {"runtime": "knative", "knative": {"ingress": knative.url, "service": "hello"}})
    by_domain = _publish(gh, {"runtime": "knative", "knative": {
        "ingress": knative.url, "service": "greeter", "namespace": "team-a", "domain": "Example.dev"}})
    by_url = _publish(gh, {"runtime": "knative", "knative": {"url": f"{knative.url}/base"}})
    missing = _publish(gh, {"runtime": "knative", "knative": {"ingress": knative.url, "service": "nobody"}})
    with gh.client("h2") as c:
        r = check(c.get(f"/{by_ingress}/call"), 200)
        assert r.json() == {"service": "hello.default.svc.cluster.local", "path": "/call", "method": "GET"}, r.json()
        assert check(c.get(f"/{by_domain}/call"), 200).json()["service"] == "greeter.team-a.example.dev"
        # By URL the Host is the URL's own, which this ingress does not serve.
        assert c.get(f"/{by_url}/call").status_code == 404
        assert knative.received[-1]["path"] == "/base/call"
        assert c.get(f"/{missing}/call").status_code == 404


@pytest.mark.parametrize("function, field", [
    ({"runtime": "openfaas"}, "openfaas"),
    ({"runtime": "openfaas", "openfaas": {"gateway": "ftp://gw", "function": "echo"}}, "openfaas.gateway"),
    ({"runtime": "openfaas", "openfaas": {"gateway": "http://gw:8080", "function": "Echo!"}}, "openfaas.function"),
    ({"runtime": "openfaas", "openfaas": {"gateway": "http://gw:8080", "function": "echo", "namespace": "a/b"}}, "openfaas.namespace"),
    ({"runtime": "openfaas", "openfaas": {"gateway": "http://gw:8080", "function": "echo"}, "http": {"url": "http://x/"}}, "http"),
    ({"runtime": "http", "http": {"url": "http://x/"}, "knative": {"url": "http://k/"}}, "knative"),
    ({"runtime": "knative", "knative": {}}, "knative"),
    ({"runtime": "knative", "knative": {"service": "hello"}}, "knative"),
    ({"runtime": "knative", "knative": {"url": "http://k/", "service": "hello"}}, "knative.url"),
    ({"runtime": "knative", "knative": {"ingress": "http://i/", "service": "hello", "domain": "*.x"}}, "knative.domain"),
    ({"runtime": "lambda"}, None),
])
def test_bad_engine_blocks_are_refused_naming_the_field(gh, function, field):
    org = gh.create_org(uniq("bad"))
    problem = assert_problem(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **function}), 400)
    if field is not None:
        assert problem.get("field") == field, problem


def test_engine_functions_from_the_cli(gh, openfaas, knative, tmp_path):
    cli = gh.cli(tmp_path)

    org = gh.create_org(uniq("clieng"))
    made = json.loads(cli("function", "create", "faas", "--org", org, "--openfaas-gateway", openfaas.url,
                          "--openfaas-function", "echo", "--openfaas-namespace", "team-a", "-o", "json").stdout)
    assert made["runtime"] == "openfaas" and made["openfaas"] == {"gateway": openfaas.url, "function": "echo", "namespace": "team-a"}
    cli("function", "create", "kn", "--org", org, "--knative-ingress", knative.url, "--knative-service", "hello")
    table = cli("function", "list", "--org", org).stdout
    assert f"{openfaas.url}/function/echo.team-a" in table and "(Host: hello.default.svc.cluster.local)" in table, table
    # Switching runtimes replaces the block; two runtimes at once is a usage error.
    switched = json.loads(cli("function", "update", "kn", "--org", org, "--url", "http://127.0.0.1:9/", "-o", "json").stdout)
    assert switched["runtime"] == "http" and "knative" not in switched, switched
    cli("function", "create", "both", "--org", org, "--url", "http://x/", "--knative-url", "http://k/", expect=2)
