"""Functions on FaaS engines the cluster already runs: an OpenFaaS gateway (every request
Gatehouse sends is checked against the gateway's published OpenAPI description) and Knative
Services (by URL, or through the ingress by `Host`), behind the same routes as any function;
the runtime blocks' validation, and the CLI's flags for them. Also OpenWhisk actions (through
its REST API, checked against its Swagger description) and OpenFaaS with basic auth and async
runs, which go through the runtime drivers (`GatehouseRuntimes/Engines`): those tests are marked
`drivers` and pass once the server wires the drivers in."""

from __future__ import annotations

import json

import pytest


from faas_engines import KnativeIngress, OpenFaaSGateway, OpenWhiskAPI
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
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", route))
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


# --- Through the runtime drivers (GatehouseRuntimes/Engines). These pass once the server
# registers HTTPEngineRuntime / OpenWhiskActionRuntime and the OpenFaaS callback route. ---

OW_AUTH = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:secretkey"


def _ow_actions() -> dict:
    def echo(params, logs):
        logs.append("echo called")
        return {"params": params}

    def web(params, logs):
        return {"statusCode": 201, "headers": {"content-type": "text/plain"},
                "body": f"{params['__ow_method']} {params['__ow_path']}"}

    def fail(params, logs):
        logs.append("about to fail")
        raise OpenWhiskAPI.ActionError("boom")

    return {"echo": echo, "web": web, "fail": fail, "slow": echo}


@pytest.fixture(scope="module")
def openwhisk():
    api = OpenWhiskAPI(_ow_actions(), auth=OW_AUTH, blocking_window=0.3, delays={"slow": 0.8})
    yield api
    api.close()


@pytest.fixture(scope="module")
def openfaas_auth():
    gateway = OpenFaaSGateway(basic_auth=("admin", "s3cret"))
    yield gateway
    gateway.close()


def _publish_with_secrets(gh, function: dict, secrets: dict) -> str:
    org = gh.create_org(uniq("drv"))
    for name, values in secrets.items():
        check(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": name, "values": values}), 201)
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", **function}), 201)
    route = {"name": "rt", "function": "fn", "paths": ["/call"], "auth": {"mode": "none"}}
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", route))
    return org


def _ow_function(openwhisk, action: str, **extra) -> dict:
    return {"runtime": "openwhisk", "openwhisk": {"apiHost": openwhisk.url, "action": action, "authSecret": "ow"}, **extra}


@pytest.mark.drivers
def test_openwhisk_actions_through_the_api(gh, openwhisk):
    org = _publish_with_secrets(gh, _ow_function(openwhisk, "echo"), {"ow": {"auth": OW_AUTH}})
    web = _publish_with_secrets(gh, _ow_function(openwhisk, "web"), {"ow": {"auth": OW_AUTH}})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call?x=1", json={"hello": "world"}), 200)
        params = r.json()["params"]
        assert params["hello"] == "world" and params["__ow_method"] == "post" and params["__ow_query"] == "x=1", params
        r = check(c.get(f"/{web}/call"), 201)
        assert r.text == "get /call" and r.headers["content-type"].startswith("text/plain")
    sent = [x for x in openwhisk.received if x["method"] == "POST"]
    assert sent[-2]["path"] == "/api/v1/namespaces/_/actions/echo" and "blocking=true" in sent[-2]["query"], sent[-2]
    assert openwhisk.violations == [], openwhisk.violations
    # The credentials stay between Gatehouse and OpenWhisk.
    assert OW_AUTH not in json.dumps(params)


@pytest.mark.drivers
def test_openwhisk_failures_and_slow_actions(gh, openwhisk):
    failing = _publish_with_secrets(gh, _ow_function(openwhisk, "fail"), {"ow": {"auth": OW_AUTH}})
    slow = _publish_with_secrets(gh, _ow_function(openwhisk, "slow"), {"ow": {"auth": OW_AUTH}})
    refused = _publish_with_secrets(gh, _ow_function(openwhisk, "echo"), {"ow": {"auth": "nobody:wrong"}})
    with gh.client("h2") as c:
        r = c.post(f"/{failing}/call", json={})
        assert r.status_code == 502, r.text
        run = gh.finished_run(failing, r.headers["x-gatehouse-run-id"])
        assert run["status"] == "failed" and "about to fail" in (run.get("logs") or ""), run
        # Outlives the blocking window (202 + activation id): Gatehouse polls the activation.
        check(c.post(f"/{slow}/call", json={"n": 1}), 200)
        r = c.post(f"/{refused}/call", json={})
        assert r.status_code in (500, 502) and "nobody" not in r.text, r.text
    assert any(x["path"].startswith("/api/v1/namespaces/_/activations/") for x in openwhisk.received)
    assert openwhisk.violations == [], openwhisk.violations


@pytest.mark.drivers
def test_openwhisk_async_run(gh, openwhisk):
    org = _publish_with_secrets(gh, _ow_function(openwhisk, "echo", mode="envelope"), {"ow": {"auth": OW_AUTH}})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", json={"job": 1}, headers={"prefer": "respond-async"}), 202)
    run = gh.finished_run(org, r.json()["id"])
    assert run["status"] == "succeeded", run
    assert json.loads(run["output"])["params"]["payload"] == {"job": 1}, run
    invoke = [x for x in openwhisk.received if x["method"] == "POST"][-1]
    assert "blocking=false" in invoke["query"], invoke
    assert openwhisk.violations == [], openwhisk.violations


@pytest.mark.drivers
def test_openfaas_basic_auth_from_a_secret(gh, openfaas_auth):
    org = _publish_with_secrets(gh, {"runtime": "openfaas", "openfaas": {
        "gateway": openfaas_auth.url, "function": "echo", "basicAuthSecret": "faas"}},
        {"faas": {"username": "admin", "password": "s3cret"}})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", content=b"hi"), 200)
    assert r.json()["authorized"] is True and r.json()["body"] == "hi", r.json()
    assert openfaas_auth.received[-1]["headers"]["authorization"].startswith("Basic ")
    assert openfaas_auth.violations == [], openfaas_auth.violations


@pytest.mark.drivers
def test_openfaas_async_run_is_answered_through_the_callback(gh, openfaas_auth):
    openfaas_auth.callback_ca = str(gh.ca)
    org = _publish_with_secrets(gh, {"runtime": "openfaas", "openfaas": {
        "gateway": openfaas_auth.url, "function": "echo", "basicAuthSecret": "faas"}},
        {"faas": {"username": "admin", "password": "s3cret"}})
    with gh.client("h2") as c:
        r = check(c.post(f"/{org}/call", content=b"later", headers={"prefer": "respond-async"}), 202)
    assert r.headers["location"].endswith(f"/v1/orgs/{org}/runs/{r.json()['id']}")
    run = gh.finished_run(org, r.json()["id"])
    assert run["status"] == "succeeded" and json.loads(run["output"])["body"] == "later", run
    sent = openfaas_auth.received[-1]
    assert sent["path"] == "/async-function/echo/call", sent
    callback = sent["headers"]["x-callback-url"]
    assert "/callbacks/openfaas/" in callback and callback.startswith(gh.admin_url), callback
    assert openfaas_auth.callbacks[-1]["status"] == 204, openfaas_auth.callbacks
    # A callback with a wrong token, or a second delivery, is refused like an unknown run: the
    # same problem, which says nothing of the run.
    import httpx
    forged = callback.rsplit("/", 1)[0] + "/" + "0" * 64
    refusals = [assert_problem(httpx.post(url, content=b"x", verify=False), 404, "not-found") for url in (forged, callback)]
    assert refusals[0]["detail"] == refusals[1]["detail"] == "no run waits for this callback", refusals
    assert_problem(httpx.post(forged, content=b"x" * (10 * 1024 * 1024 + 1), verify=False), 413, "payload-too-large")
    assert openfaas_auth.violations == [], openfaas_auth.violations


@pytest.mark.drivers
def test_openwhisk_and_openfaas_credentials_from_the_cli(gh, openwhisk, openfaas_auth, tmp_path):
    cli = gh.cli(tmp_path)
    org = gh.create_org(uniq("cliow"))
    cli("secret", "create", "ow", "--org", org, "--value", f"auth={OW_AUTH}")
    cli("secret", "create", "faas", "--org", org, "--value", "username=admin", "--value", "password=s3cret")
    # An action needs its credentials: the server names the missing field.
    missing = cli("function", "create", "act", "--org", org, "--openwhisk-api-host", openwhisk.url,
                  "--openwhisk-action", "echo", expect=1)
    assert "openwhisk.authSecret" in missing.stderr, missing.stderr
    made = json.loads(cli("function", "create", "act", "--org", org, "--openwhisk-api-host", openwhisk.url,
                          "--openwhisk-action", "echo", "--openwhisk-auth-secret", "ow", "-o", "json").stdout)
    assert made["runtime"] == "openwhisk" and made["openwhisk"] == {
        "apiHost": openwhisk.url, "action": "echo", "authSecret": "ow"}, made
    # Flags of the runtime it has change only those fields.
    moved = json.loads(cli("function", "update", "act", "--org", org, "--openwhisk-action", "web",
                           "--openwhisk-namespace", "guest", "-o", "json").stdout)
    assert moved["openwhisk"] == {"apiHost": openwhisk.url, "namespace": "guest", "action": "web", "authSecret": "ow"}, moved
    cli("function", "create", "faas", "--org", org, "--openfaas-gateway", openfaas_auth.url, "--openfaas-function", "echo")
    cli("function", "update", "faas", "--org", org, "--openfaas-basic-auth-secret", "faas")
    assert f"{openwhisk.url} web" in cli("function", "list", "--org", org).stdout
    for name in ("act", "faas"):
        route = {"name": name, "function": name, "paths": [f"/{name}"], "auth": {"mode": "none"}}
        revision = check(gh.api("POST", f"/v1/orgs/{org}/routes", route), 201).json()["revision"]
    gh.wait_for_revision(revision)
    with gh.client("h2") as c:
        r = check(c.get(f"/{org}/act"), 201)
        assert r.text == "get /act", r.text
        assert check(c.post(f"/{org}/faas", content=b"hi"), 200).json()["authorized"] is True
    assert [x for x in openwhisk.received if x["method"] == "POST"][-1]["path"] == "/api/v1/namespaces/guest/actions/web"
    cli("function", "create", "mixed", "--org", org, "--openwhisk-action", "echo", "--url", "http://x/", expect=2)
    assert openwhisk.violations == [] and openfaas_auth.violations == []


# --- tenants never share an upstream connection (the buffered path) ----------------------------


class _PeerPorts:
    """A real HTTP/1.1 keep-alive upstream in a thread that records, per request path, the
    client port each request came from, and answers JSON."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.seen: list[tuple[str, int]] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                seen.append((self.path.split("?")[0], self.client_address[1]))
                body = json.dumps({"port": self.client_address[1]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_two_orgs_on_one_upstream_are_served_over_different_connections(gh):
    """Envelope mode sends both orgs' calls through the engine driver (buffered): each org has its
    own client and pool, so the upstream sees disjoint sets of client ports for the two orgs."""
    upstream = _PeerPorts()
    try:
        orgs = {tag: _publish(gh, {"runtime": "http", "mode": "envelope", "http": {"url": f"{upstream.url}/{tag}"}},
                              methods=["POST"]) for tag in ("a", "b")}
        with gh.client("h2") as c:
            for _ in range(5):
                for org in orgs.values():
                    check(c.post(f"/{org}/call", content=b"{}", headers={"content-type": "application/json"}), 200)
        ports = {tag: {port for path, port in upstream.seen if path.startswith(f"/{tag}")} for tag in orgs}
        assert sum(1 for path, _ in upstream.seen) == 10, upstream.seen
        assert ports["a"] and ports["b"] and not ports["a"] & ports["b"], ports
    finally:
        upstream.close()
