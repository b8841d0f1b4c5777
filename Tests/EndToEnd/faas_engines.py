"""Stand-ins for the FaaS engines Gatehouse reaches functions on, for contract tests: an
OpenFaaS gateway that checks every request against the gateway's published OpenAPI description
(`../shared/testdata/contracts/openfaas-gateway.openapi.yml`) before answering as the function
would, and a Knative ingress that routes by `Host` as Kourier does. Each runs in a thread of
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


class OpenFaaSGateway(_Server):
    """Answers `/function/{name}[.{namespace}]/...` as an echo function would, after checking the
    request against the OpenAPI description: a documented path and method, and, for the invoke
    paths, the extra path segments the description says are passed on as is."""

    def __init__(self) -> None:
        spec = yaml.safe_load((CONTRACTS / "openfaas-gateway.openapi.yml").read_text())
        # Most specific first, so `{functionName}.{namespace}` wins over `{functionName}`.
        self.operations = sorted(
            ((self._pattern(path), path, {m.upper() for m in item if m in ("get", "post", "put", "delete")})
             for path, item in spec["paths"].items()),
            key=lambda entry: -entry[1].count("{"))
        super().__init__(self._handler())

    @staticmethod
    def _pattern(path: str) -> re.Pattern:
        regex = re.sub(r"\{([A-Za-z]+)\}", lambda m: f"(?P<{m.group(1)}>[^/.]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
        # "Any additional path segments and query parameters will be passed to the function as is."
        tail = r"(?P<rest>/.*)?" if path.startswith(("/function/", "/async-function/")) else ""
        return re.compile(f"^{regex}{tail}$")

    def check(self, method: str, path: str) -> tuple[str, dict] | None:
        for pattern, template, methods in self.operations:
            match = pattern.match(path)
            if match:
                if method not in methods:
                    self.violations.append(f"{method} {path}: {template} documents only {sorted(methods)}")
                return template, match.groupdict()
        self.violations.append(f"{method} {path}: no such path in the OpenFaaS gateway API")
        return None

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
                if found is None or not found[0].startswith("/function/"):
                    self._answer(404, {"error": "not found"})
                    return
                params = found[1]
                self._answer(200, {"function": params["functionName"], "namespace": params.get("namespace"),
                                   "path": params.get("rest") or "/", "query": query, "method": self.command,
                                   "body": record["body"]})
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
