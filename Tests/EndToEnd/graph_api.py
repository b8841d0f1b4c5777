"""The Microsoft Graph calls that resolve Entra ID group overage, for the end-to-end tests. When a
user is in too many groups for a token, Entra leaves `groups` out and the gateway asks Graph. Run
as a subprocess:

    python graph_api.py --port 0 --config FILE [--token TOKEN:USER_ID]... [--enable-test-hooks]

When it accepts connections it prints one JSON line on stdout, `{"base_url": ...}` (use it where
`https://graph.microsoft.com` would be); the access log (method, path, status) goes to stderr.

Endpoints (v1.0), for `me` (a delegated token) or `users/{id|userPrincipalName}` (an app token,
or a delegated token for its own user):
- `GET /v1.0/me`
- `POST /v1.0/me/getMemberObjects` and `/getMemberGroups`, body `{"securityEnabledOnly": bool}`:
  `{"value": [ids]}`, transitive (groups, plus directory roles when not security-only).
- `GET /v1.0/me/transitiveMemberOf[/microsoft.graph.group]`: directory objects (`@odata.type`,
  `id`, `displayName`, ...) in pages of `$top` (default 100, 1-999) linked by `@odata.nextLink`
  (`$skiptoken`); `$select` narrows the properties.
Bearer tokens must be in the configured set; errors have Graph's shape
`{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`.

Config (JSON): `{"users": [{"id", "userPrincipalName", "displayName", "memberOf": [ids]}],
"groups": [{"id", "displayName", "securityEnabled", "mailEnabled"?, "groupTypes"?,
"memberOf": [parent group ids]}], "directoryRoles": [{"id", "displayName", "roleTemplateId"}],
"tokens": {"TOKEN": {"user": "USER_ID"} | {"app": true}}}`.

Test hooks (`--enable-test-hooks` only): `GET|DELETE /_test/requests`, and `POST /_test/fail`
`{"status": 429|500|503|504, "count": n, "retryAfter": s}`: the next n Graph calls fail so.
"""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, request

from peer_http import RequestLog, announce_and_serve, base_parser, bind, load_json

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
FAULT_CODES = {429: "TooManyRequests", 500: "generalException", 503: "serviceNotAvailable", 504: "gatewayTimeout"}
GROUP = "#microsoft.graph.group"
ROLE = "#microsoft.graph.directoryRole"


class Directory:
    def __init__(self, config: dict, extra_tokens: dict):
        self.users = {u["id"]: u for u in config.get("users", [])}
        self.objects: dict[str, dict] = {}
        for g in config.get("groups", []):
            self.objects[g["id"]] = {"@odata.type": GROUP, "description": None, "groupTypes": [],
                                     "mailEnabled": False, "mail": None, "securityEnabled": True,
                                     "memberOf": [], **g}
        for r in config.get("directoryRoles", []):
            self.objects[r["id"]] = {"@odata.type": ROLE, "description": None, "memberOf": [], **r}
        self.tokens = {**config.get("tokens", {}), **extra_tokens}
        self.lock = threading.Lock()
        self.faults: dict = {"count": 0}

    def find_user(self, key: str) -> dict | None:
        return self.users.get(key) or next(
            (u for u in self.users.values() if u.get("userPrincipalName", "").lower() == key.lower()), None)

    def transitive(self, user: dict) -> list[dict]:
        """Every object the user is in, directly or through nested groups, in a stable order."""
        seen, order, queue = set(), [], list(user.get("memberOf", []))
        while queue:
            oid = queue.pop(0)
            if oid in seen or oid not in self.objects:
                continue
            seen.add(oid)
            order.append(self.objects[oid])
            queue.extend(self.objects[oid]["memberOf"])
        return order


def public(obj: dict, select: list[str] | None) -> dict:
    doc = {k: v for k, v in obj.items() if k != "memberOf"}
    if select:
        doc = {k: v for k, v in doc.items() if k in select or k in ("@odata.type",)}
    return doc


def graph_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    inner = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
             "request-id": g.request_id, "client-request-id": g.client_request_id}
    resp = jsonify({"error": {"code": code, "message": message, "innerError": inner}})
    resp.status_code = status
    resp.headers.update(headers or {})
    return resp


def skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"graph-e2e:{offset}".encode()).decode().rstrip("=")


def offset_of(token: str) -> int | None:
    try:
        prefix, _, n = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
        return int(n) if prefix == "graph-e2e" and int(n) >= 0 else None
    except ValueError:
        return None


def create_app(app: Flask, d: Directory, base: str, test_hooks: bool) -> None:
    RequestLog(app, test_hooks)

    @app.before_request
    def request_ids():
        g.request_id = str(uuid.uuid4())
        g.client_request_id = request.headers.get("client-request-id") or g.request_id
        if request.path.startswith("/_test/"):
            return None
        with d.lock:
            fault = dict(d.faults) if d.faults["count"] > 0 else None
            if fault:
                d.faults["count"] -= 1
        if fault:
            status = fault["status"]
            headers = {"Retry-After": str(fault["retryAfter"])} if fault.get("retryAfter") is not None else {}
            return graph_error(status, FAULT_CODES[status], "Injected by the e2e test.", headers)
        return None

    @app.after_request
    def graph_headers(resp):
        if not request.path.startswith("/_test/"):
            if resp.mimetype == "application/json":
                resp.headers["Content-Type"] = GRAPH_JSON
            resp.headers["OData-Version"] = "4.0"
            resp.headers["request-id"] = g.request_id
            resp.headers["client-request-id"] = g.client_request_id
        return resp

    def subject(who: str):
        """The user a request is about, or an error response."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, graph_error(401, "InvalidAuthenticationToken", "Access token is empty.",
                                     {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
        grant = d.tokens.get(token.strip())
        if grant is None:
            return None, graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.",
                                     {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
        if who == "me":
            if grant.get("app"):
                return None, graph_error(400, "BadRequest",
                                         "/me request is only valid with delegated authentication flow.")
            return d.users[grant["user"]], None
        user = d.find_user(who)
        if user is None:
            return None, graph_error(404, "Request_ResourceNotFound", f"Resource '{who}' does not exist or one "
                                     "of its queried reference-property objects are not present.")
        if not grant.get("app") and grant.get("user") != user["id"]:
            return None, graph_error(403, "Authorization_RequestDenied",
                                     "Insufficient privileges to complete the operation.")
        return user, None

    @app.get("/v1.0/me")
    @app.get("/v1.0/users/<who>")
    def get_user(who: str = "me"):
        user, error = subject(who)
        if error:
            return error
        return jsonify({"@odata.context": f"{base}/v1.0/$metadata#users/$entity",
                        **{k: v for k, v in user.items() if k != "memberOf"}})

    @app.post("/v1.0/me/<action>")
    @app.post("/v1.0/users/<who>/<action>")
    def member_objects(action: str, who: str = "me"):
        if action not in ("getMemberObjects", "getMemberGroups"):
            return graph_error(400, "BadRequest", f"Resource not found for the segment '{action}'.")
        user, error = subject(who)
        if error:
            return error
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("securityEnabledOnly"), bool):
            return graph_error(400, "Request_BadRequest",
                               "Expected a JSON body with the boolean 'securityEnabledOnly'.")
        objects = d.transitive(user)
        if body["securityEnabledOnly"]:
            objects = [o for o in objects if o["@odata.type"] == GROUP and o["securityEnabled"]]
        elif action == "getMemberGroups":
            objects = [o for o in objects if o["@odata.type"] == GROUP]
        return jsonify({"@odata.context": f"{base}/v1.0/$metadata#Collection(Edm.String)",
                        "value": [o["id"] for o in objects]})

    @app.get("/v1.0/me/transitiveMemberOf")
    @app.get("/v1.0/me/transitiveMemberOf/microsoft.graph.group")
    @app.get("/v1.0/users/<who>/transitiveMemberOf")
    @app.get("/v1.0/users/<who>/transitiveMemberOf/microsoft.graph.group")
    def transitive_member_of(who: str = "me"):
        user, error = subject(who)
        if error:
            return error
        top_arg = request.args.get("$top", "100")
        if not top_arg.isdigit() or not 1 <= int(top_arg) <= 999:
            return graph_error(400, "Request_BadRequest",
                               f"Invalid page size specified: '{top_arg}'. Must be between 1 and 999 inclusive.")
        top = int(top_arg)
        offset = offset_of(request.args.get("$skiptoken", skiptoken(0)))
        if offset is None:
            return graph_error(400, "Request_BadRequest", "The specified page token value has expired or is invalid.")
        objects = d.transitive(user)
        if request.path.endswith("/microsoft.graph.group"):
            objects = [o for o in objects if o["@odata.type"] == GROUP]
        select = [s.strip() for s in request.args.get("$select", "").split(",") if s.strip()] or None
        doc = {"@odata.context": f"{base}/v1.0/$metadata#directoryObjects",
               "value": [public(o, select) for o in objects[offset: offset + top]]}
        if offset + top < len(objects):
            keep = {k: v for k, v in request.args.items() if k != "$skiptoken"}
            # Graph writes `$top`, `$skiptoken` unescaped in its links.
            query = urlencode({**keep, "$skiptoken": skiptoken(offset + top)}, safe="$,")
            doc["@odata.nextLink"] = f"{request.base_url}?{query}"
        return jsonify(doc)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unknown(error):
        segment = request.path.rstrip("/").rsplit("/", 1)[-1]
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    if not test_hooks:
        return

    @app.post("/_test/fail")
    def fail():
        body = request.get_json(force=True, silent=True) or {}
        if body.get("status") not in FAULT_CODES:
            return jsonify({"error": f"status must be one of {sorted(FAULT_CODES)}"}), 400
        with d.lock:
            d.faults = {"status": body["status"], "count": int(body.get("count", 1)),
                        "retryAfter": body.get("retryAfter")}
        return jsonify(d.faults)


def main() -> None:
    parser = base_parser("Microsoft Graph group-membership endpoints for the end-to-end tests")
    parser.add_argument("--config", required=True, help="JSON file with users, groups, roles, tokens")
    parser.add_argument("--token", action="append", default=[], metavar="TOKEN:USER_ID",
                        help="a delegated token for a user (USER_ID '*' for an app token)")
    args = parser.parse_args()
    extra = {}
    for spec in args.token:
        token, _, user = spec.partition(":")
        extra[token] = {"app": True} if user == "*" else {"user": user}
    app = Flask("graph_api")
    server, base = bind(app, args.host, args.port)
    create_app(app, Directory(load_json(args.config), extra), base, args.enable_test_hooks)
    announce_and_serve(server, {"base_url": base})


if __name__ == "__main__":
    main()
