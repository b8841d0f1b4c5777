"""What the identity peers (oidc_provider.py, github_api.py, graph_api.py) share: a threaded WSGI
server on an ephemeral port that announces itself with one JSON line on stdout, an access log that
never shows a query string, and the request log behind `GET /_test/requests`.

stdout carries only the ready line (the fixture stops reading after it, so anything more could
fill the pipe); the access log goes to stderr as `METHOD /path STATUS`.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

# Query parameters whose values are credentials; the request log shows them as "<redacted>".
SECRET_PARAMS = frozenset(
    {"client_secret", "code", "code_verifier", "device_code", "access_token", "refresh_token"}
)


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    parser.add_argument(
        "--enable-test-hooks", action="store_true", help="serve the /_test/* endpoints (tests only)"
    )
    return parser


def load_json(path: str | None) -> dict:
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class _AccessLog(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # Method, path and status only: query strings carry codes, states and client secrets.
        sys.stderr.write(f"{self.command} {self.path.split('?', 1)[0]} {code}\n")
        sys.stderr.flush()


def bind(app: Flask, host: str, port: int):
    """A listening threaded server for `app`; returns (server, base URL)."""
    server = make_server(host, port, app, threaded=True, request_handler=_AccessLog)
    server.daemon_threads = True
    return server, f"http://{host}:{server.port}"


def announce_and_serve(server, ready: dict) -> None:
    print(json.dumps(ready), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


def auth_scheme() -> str | None:
    value = request.headers.get("Authorization", "").strip()
    return value.split(None, 1)[0].lower() if value else None


class RequestLog:
    """Every request but /_test/* (method, path, query with secrets redacted, auth *scheme*,
    Accept, status), served by `GET /_test/requests` and cleared by `DELETE /_test/requests`."""

    def __init__(self, app: Flask, serve_hook: bool):
        self._lock = threading.Lock()
        self._entries: list[dict] = []
        app.after_request(self._record)
        if serve_hook:
            app.add_url_rule("/_test/requests", "test_requests", self._view, methods=["GET", "DELETE"])

    def _record(self, response):
        if not request.path.startswith("/_test/"):
            query = {
                k: ("<redacted>" if k in SECRET_PARAMS else v) for k, v in request.args.items()
            }
            entry = {
                "method": request.method,
                "path": request.path,
                "query": query,
                "auth": auth_scheme(),
                "accept": request.headers.get("Accept"),
                "status": response.status_code,
            }
            with self._lock:
                self._entries.append(entry)
        return response

    def _view(self):
        with self._lock:
            entries = list(self._entries)
            if request.method == "DELETE":
                self._entries.clear()
        return jsonify(entries)
