"""Stand-ins for the FaaS engines Gatehouse reaches functions on, for contract tests: an
OpenFaaS gateway that checks every request against the gateway's published OpenAPI description
(`../shared/testdata/contracts/openfaas-gateway.openapi.yml`) before answering as the function
would, an OpenWhisk API checked against its Swagger description, and a Knative ingress that
routes by `Host` as Kourier does. Each runs in a thread of
the test process on an ephemeral port and records what it received."""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

def _contracts() -> Path:
    """`<repo>/../shared/testdata/contracts`, or `GATEHOUSE_SHARED_TESTDATA`, or (a clone made
    elsewhere, such as a scratch CI run in /tmp) the workplace's `/work/shared/testdata`."""
    candidates = [Path(os.environ["GATEHOUSE_SHARED_TESTDATA"])] if os.environ.get("GATEHOUSE_SHARED_TESTDATA") else []
    candidates += [Path(__file__).resolve().parents[3] / "shared" / "testdata", Path("/work/shared/testdata")]
    return next((c / "contracts" for c in candidates if (c / "contracts").is_dir()), candidates[0] / "contracts")


CONTRACTS = _contracts()


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.received: list[dict] = []
        self.violations: list[str] = []
        handler.owner = self
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _read(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, doc: dict) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.handle_any()

    def do_POST(self) -> None:
        self.handle_any()

    def do_PUT(self) -> None:
        self.handle_any()

    def do_DELETE(self) -> None:
        self.handle_any()


class Contract:
    """The operations of an OpenAPI / Swagger description, matched against the requests a
    stand-in receives. A request off the description is recorded in `violations`: a
    documented path and method, and, where the description lists them (Swagger 2 `parameters`),
    query parameters of the documented enum or type and a JSON object body where one is asked."""

    def __init__(self, spec: dict, name: str, tail_prefixes: tuple[str, ...] = ()) -> None:
        self.name = name
        self.base = (spec.get("basePath") or "").rstrip("/")
        self.tail_prefixes = tail_prefixes
        self.violations: list[str] = []
        self.definitions = spec.get("parameters", {})
        # Most specific first, so `{functionName}.{namespace}` wins over `{functionName}`.
        self.operations = sorted(
            ((self._pattern(path), path, {m.upper(): op for m, op in item.items() if m in ("get", "post", "put", "delete")},
              item.get("parameters", []))
             for path, item in spec["paths"].items()),
            key=lambda entry: (-entry[1].count("{"), -len(entry[1])))

    def _pattern(self, path: str) -> re.Pattern:
        regex = re.sub(r"\{([A-Za-z]+)\}", lambda m: f"(?P<{m.group(1)}>[^/.]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
        # OpenFaaS: "Any additional path segments and query parameters will be passed to the function as is."
        tail = r"(?P<rest>/.*)?" if path.startswith(self.tail_prefixes) else ""
        return re.compile(f"^{re.escape(self.base)}{regex}{tail}$")

    def check(self, method: str, path: str, query: str = "", body: bytes = b"", content_type: str = "",
              violations: list[str] | None = None) -> tuple[str, dict] | None:
        violations = self.violations if violations is None else violations
        for pattern, template, methods, shared in self.operations:
            match = pattern.match(path)
            if not match:
                continue
            operation = methods.get(method)
            if operation is None:
                violations.append(f"{method} {path}: {template} documents only {sorted(methods)}")
                return template, match.groupdict()
            parameters = [self._resolve(p) for p in shared + operation.get("parameters", [])]
            self._check_parameters(f"{method} {path}", parameters, query, body, content_type,
                                   operation.get("consumes"), violations)
            return template, match.groupdict()
        violations.append(f"{method} {path}: no such path in the {self.name}")
        return None

    def _resolve(self, parameter: dict) -> dict:
        ref = parameter.get("$ref", "") if isinstance(parameter, dict) else ""
        return self.definitions.get(ref.rsplit("/", 1)[-1], parameter) if ref.startswith("#/parameters/") else parameter

    @staticmethod
    def _check_parameters(where: str, parameters: list, query: str, body: bytes, content_type: str, consumes,
                          violations: list[str]) -> None:
        from urllib.parse import parse_qsl
        given = dict(parse_qsl(query, keep_blank_values=True))
        documented = {p.get("name"): p for p in parameters if isinstance(p, dict) and p.get("in") == "query"}
        if documented:
            for name, value in given.items():
                spec = documented.get(name)
                if spec is None:
                    violations.append(f"{where}: query parameter {name!r} is not documented")
                elif "enum" in spec and value not in spec["enum"]:
                    violations.append(f"{where}: {name}={value!r} is not one of {spec['enum']}")
                elif spec.get("type") == "integer" and not re.fullmatch(r"-?[0-9]+", value):
                    violations.append(f"{where}: {name}={value!r} is not an integer")
        for p in parameters:
            if isinstance(p, dict) and p.get("in") == "body" and body:
                if consumes and not any(content_type.lower().startswith(c) for c in consumes):
                    violations.append(f"{where}: content-type {content_type!r} is not one of {consumes}")
                if p.get("schema", {}).get("type") == "object":
                    try:
                        ok = isinstance(json.loads(body), dict)
                    except ValueError:
                        ok = False
                    if not ok:
                        violations.append(f"{where}: the body is not a JSON object")


def _basic_auth_ok(headers, expected: tuple[str, str] | None) -> bool:
    if expected is None:
        return True
    import base64
    value = headers.get("authorization") or ""
    if not value.startswith("Basic "):
        return False
    try:
        return base64.b64decode(value[6:]).decode() == f"{expected[0]}:{expected[1]}"
    except ValueError:
        return False


class OpenFaaSGateway(_Server):
    """Answers `/function/{name}[.{namespace}]/...` as an echo function would, after checking the
    request against the OpenAPI description: a documented path and method, and, for the invoke
    paths, the extra path segments the description says are passed on as is. With `basic_auth`
    (user, password) it refuses other requests with 401, as a gateway with basic auth enabled.
    `/async-function/...` answers 202 and later POSTs the echo to `X-Callback-Url` with
    `X-Function-Status` and `X-Call-Id`, as the queue-worker does; `callbacks` records what the
    callback URL answered."""

    def __init__(self, basic_auth: tuple[str, str] | None = None, callback_delay: float = 0.2) -> None:
        spec = yaml.safe_load((CONTRACTS / "openfaas-gateway.openapi.yml").read_text())
        self.contract = Contract(spec, "OpenFaaS gateway API", ("/function/", "/async-function/"))
        self.basic_auth = basic_auth
        self.callback_delay = callback_delay
        self.callbacks: list[dict] = []
        # The CA the callback URL's certificate chains to (Gatehouse's development CA in the
        # tests), as an operator configures OpenFaaS's queue-worker to trust Gatehouse.
        self.callback_ca: str | None = None
        super().__init__(self._handler())
        self.contract.violations = self.violations

    def check(self, method: str, path: str) -> tuple[str, dict] | None:
        return self.contract.check(method, path, violations=self.violations)

    def _call_back(self, url: str, call_id: str, answer: dict) -> None:
        import time
        import urllib.error
        import urllib.request
        time.sleep(self.callback_delay)
        request = urllib.request.Request(url, data=json.dumps(answer).encode(), method="POST", headers={
            "Content-Type": "application/json", "X-Function-Status": "200", "X-Call-Id": call_id,
            "X-Function-Name": answer["function"]})
        import ssl
        context = ssl.create_default_context(cafile=self.callback_ca) if self.callback_ca else None
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as response:
                self.callbacks.append({"url": url, "status": response.status})
        except urllib.error.HTTPError as error:
            self.callbacks.append({"url": url, "status": error.code})
        except OSError as error:
            self.callbacks.append({"url": url, "error": str(error)})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        class Handler(_Handler):
            def handle_any(self) -> None:
                gateway: OpenFaaSGateway = self.owner
                body = self._read()
                path, _, query = self.path.partition("?")
                found = gateway.check(self.command, path)
                record = {"method": self.command, "path": path, "query": query, "body": body.decode(errors="replace"),
                          "headers": {k.lower(): v for k, v in self.headers.items()}}
                gateway.received.append(record)
                if not _basic_auth_ok(self.headers, gateway.basic_auth):
                    self._answer(401, {"error": "unauthorized"})
                    return
                if found is None or not found[0].startswith(("/function/", "/async-function/")):
                    self._answer(404, {"error": "not found"})
                    return
                params = found[1]
                answer = {"function": params["functionName"], "namespace": params.get("namespace"),
                          "path": params.get("rest") or "/", "query": query, "method": self.command,
                          "body": record["body"]}
                if gateway.basic_auth is not None:
                    answer["authorized"] = True
                if found[0].startswith("/async-function/"):
                    callback = self.headers.get("x-callback-url")
                    call_id = f"call-{len(gateway.received)}"
                    if callback:
                        threading.Thread(target=gateway._call_back, args=(callback, call_id, answer), daemon=True).start()
                    self.send_response(202)
                    self.send_header("x-call-id", call_id)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self._answer(200, answer)
        return Handler


class OpenWhiskAPI(_Server):
    """Apache OpenWhisk's REST API for invoking actions, checked against its Swagger
    description (`openwhisk-api-v1.swagger.json`) with the same `Contract` as the OpenFaaS
    stand-in. `actions` maps an action name (`pkg/action` for one in a package) to a callable
    `(params, logs) -> result`; raising `ActionError` makes an application error. An action
    that takes longer than `blocking_window` seconds answers a blocking invoke with 202 and an
    activation id, as OpenWhisk does when the blocking wait ends; activations then appear at
    `/activations/{id}` when done (404 before). Requests must carry basic auth `auth`
    (`uuid:key`)."""

    class ActionError(Exception):
        pass

    def __init__(self, actions: dict, auth: str = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:secretkey",
                 blocking_window: float = 60.0, delays: dict | None = None) -> None:
        spec = json.loads((CONTRACTS / "openwhisk-api-v1.swagger.json").read_text())
        self.contract = Contract(spec, "OpenWhisk API")
        self.actions = actions
        self.auth = tuple(auth.split(":", 1))
        self.blocking_window = blocking_window
        self.delays = delays or {}
        self.activations: dict[str, dict] = {}
        self.lock = threading.Lock()
        super().__init__(self._handler())

    def _run(self, namespace: str, name: str, params: dict) -> dict:
        import time
        import uuid
        activation_id = uuid.uuid4().hex
        logs: list[str] = []
        time.sleep(self.delays.get(name, 0))
        try:
            result = self.actions[name](params, logs)
            response = {"status": "success", "statusCode": 0, "success": True, "result": result}
        except OpenWhiskAPI.ActionError as error:
            response = {"status": "application error", "statusCode": 1, "success": False, "result": {"error": str(error)}}
        return {"activationId": activation_id, "namespace": namespace, "name": name, "response": response, "logs": logs,
                "start": 0, "end": 0, "duration": 0}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        class Handler(_Handler):
            def handle_any(self) -> None:
                import uuid
                from urllib.parse import parse_qs
                api: OpenWhiskAPI = self.owner
                body = self._read()
                path, _, query = self.path.partition("?")
                found = api.contract.check(self.command, path, query, body, self.headers.get("content-type") or "",
                                           violations=api.violations)
                api.received.append({"method": self.command, "path": path, "query": query,
                                     "body": body.decode(errors="replace"),
                                     "headers": {k.lower(): v for k, v in self.headers.items()}})
                if not _basic_auth_ok(self.headers, api.auth):
                    self._answer(401, {"error": "The supplied authentication is invalid", "code": "x"})
                    return
                if found is None:
                    self._answer(404, {"error": "The requested resource does not exist.", "code": "x"})
                    return
                template, params = found
                if template.startswith("/namespaces/{namespace}/activations/{activationid}") and self.command == "GET":
                    with api.lock:
                        record = api.activations.get(params["activationid"])
                    if record is None or record.get("pending"):
                        self._answer(404, {"error": "The requested resource does not exist.", "code": "x"})
                    else:
                        self._answer(200, record)
                    return
                if not template.startswith("/namespaces/{namespace}/actions/{") or self.command != "POST":
                    self._answer(404, {"error": "not supported by the stand-in", "code": "x"})
                    return
                name = f"{params['packageName']}/{params['actionName']}" if "packageName" in params else params["actionName"]
                if name not in api.actions:
                    self._answer(404, {"error": "The requested resource does not exist.", "code": "x"})
                    return
                q = {k: v[0] for k, v in parse_qs(query).items()}
                payload = json.loads(body) if body else {}
                blocking = q.get("blocking") == "true"
                window = min(api.blocking_window, int(q.get("timeout", 60000)) / 1000)
                if blocking and api.delays.get(name, 0) <= window:
                    record = api._run(params["namespace"], name, payload)
                    with api.lock:
                        api.activations[record["activationId"]] = record
                    failed = not record["response"]["success"]
                    if q.get("result") == "true":
                        self._answer(502 if failed else 200, record["response"]["result"])
                    else:
                        self._answer(502 if failed else 200, record)
                    return
                activation_id = uuid.uuid4().hex
                with api.lock:
                    api.activations[activation_id] = {"pending": True}

                def finish() -> None:
                    record = api._run(params["namespace"], name, payload)
                    record["activationId"] = activation_id
                    with api.lock:
                        api.activations[activation_id] = record
                threading.Thread(target=finish, daemon=True).start()
                self._answer(202, {"activationId": activation_id})
        return Handler


class KnativeIngress(_Server):
    """Routes by `Host`, as Knative's ingress does: a known `{service}.{namespace}.{domain}`
    gets an answer from that service; anything else 404."""

    def __init__(self, hosts: set[str]) -> None:
        self.hosts = hosts
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        class Handler(_Handler):
            def handle_any(self) -> None:
                ingress: KnativeIngress = self.owner
                self._read()
                host = (self.headers.get("host") or "").split(":")[0].lower()
                ingress.received.append({"method": self.command, "path": self.path, "host": host})
                if host not in ingress.hosts:
                    self._answer(404, {"error": f"no service for host {host}"})
                    return
                self._answer(200, {"service": host, "path": self.path, "method": self.command})
        return Handler


def _demo_actions() -> dict:
    """Actions for the Swift driver tests (`Tests/GatehouseRuntimesTests/Engine*.swift`)."""
    def echo(params: dict, logs: list) -> dict:
        logs.append("echo called")
        return {"params": params}

    def web(params: dict, logs: list) -> dict:
        return {"statusCode": 201, "headers": {"content-type": "text/plain", "x-action": "web"},
                "body": f"{params.get('__ow_method')} {params.get('__ow_path')} {params.get('__ow_query')}"}

    def fail(params: dict, logs: list) -> dict:
        logs.append("about to fail")
        raise OpenWhiskAPI.ActionError("boom")

    return {"echo": echo, "web": web, "fail": fail, "slow": echo, "pkg/echo": echo}


if __name__ == "__main__":
    # `python faas_engines.py openwhisk|openfaas`: serves in this process, prints one JSON line
    # with the URL (and the OpenWhisk credentials), and stops when stdin closes, so the process
    # never outlives the test that started it.
    import sys
    if sys.argv[1:] == ["openwhisk"]:
        server = OpenWhiskAPI(_demo_actions(), blocking_window=0.3, delays={"slow": 0.8})
        print(json.dumps({"url": server.url, "auth": ":".join(server.auth)}), flush=True)
    elif sys.argv[1:] == ["openfaas"]:
        server = OpenFaaSGateway(basic_auth=("admin", "s3cret"))
        print(json.dumps({"url": server.url, "username": "admin", "password": "s3cret"}), flush=True)
    else:
        sys.exit("usage: faas_engines.py openwhisk|openfaas")
    sys.stdin.read()
    if server.violations:
        print("\n".join(server.violations), file=sys.stderr)
    server.close()
