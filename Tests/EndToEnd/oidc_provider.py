"""A real OpenID Connect provider for the end-to-end tests, built on Authlib's server classes
(Flask integration, authorization code + PKCE, OpenID Connect code flow, client credentials,
refresh tokens, RFC 9068 JWT access tokens, UserInfo) and joserfc keys. Run as a subprocess:

    python oidc_provider.py --port 0 --state-dir DIR [--config FILE]
        [--user alice:alice@example.com:eng,ops]... [--client ID:SECRET:REDIRECT_PATTERN]...
        [--jwks-max-age 300] [--token-ttl 3600] [--no-ec-key] [--enable-test-hooks]

When it accepts connections it prints one JSON line on stdout, `{"issuer": "http://127.0.0.1:PORT",
"base_url": ..., "jwks_uri": ..., ...}`; the access log (method, path, status) goes to stderr.

Endpoints: `/.well-known/openid-configuration`, `/jwks` (`Cache-Control: public, max-age=N`),
`/authorize`, `/token`, `/userinfo`, `/logout` (RP-Initiated Logout: redirects to
`post_logout_redirect_uri`). Login is non-interactive for tests: `/authorize?...&
login_hint=alice` approves at once as alice; without a known `login_hint` it shows a small HTML
form (POST `login=NAME`, or `action=deny` for `access_denied`). PKCE with S256 is required of every
client. A redirect URI pattern may use `*` for one port or path segment
(`http://127.0.0.1:*/auth/*/callback`), since Gatehouse binds ephemeral ports.

Access tokens are RFC 9068 JWTs (`typ: at+jwt`, `kid`) with iss, sub, aud (the client's
`audience`, else its id), exp, iat, nbf, jti, client_id, scope and, for a user, email and groups.
ID tokens carry nonce, at_hash, auth_time, email, groups. `sub` is the user name (or, for
client_credentials, the client id).

Config file (JSON): `{"users": [{"username", "email", "groups", "name", "groups_overage",
"graph_token"}], "clients":
[{"client_id", "client_secret", "redirect_uris": [patterns], "audience", "scope",
"grant_types", "id_token_signed_response_alg", "token_endpoint_auth_methods" (default
client_secret_basic and client_secret_post; `private_key_jwt` verifies RFC 7523 assertions
against the client's "jwks" or "jwks_uri", fetched trusting "jwks_ca" if given)}],
"discovery": {member: value or null to remove}, "response_iss": true (RFC 9207: `iss` in every
authorization response, and discovery says so)}`. Signing keys live in `<state-dir>/keys.json`,
so a restarted provider keeps them.

Test hooks (`--enable-test-hooks` only):
- `POST /_test/rotate`: a new key per algorithm becomes current; the old ones stay published.
- `POST /_test/retire`: keys that are no longer current leave the JWKS.
- `GET /_test/fetches`: `{"jwks": n, "discovery": n}` since start.
- `POST /_test/mint`: a deliberately bad token, see `mint()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.discovery import OpenIDProviderMetadata
from flask import Flask, Response, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey, import_key
from joserfc.jws import JWSRegistry

from peer_http import announce_and_serve, base_parser, bind, load_json

SCOPES = ["openid", "email", "profile", "groups"]
SECRET_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
AUTH_METHODS = SECRET_AUTH_METHODS + ["private_key_jwt"]
GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"]
CODE_TTL = 600  # RFC 6749 4.1.2: at most 10 minutes


# --- users, clients, keys ---------------------------------------------------------------------


@dataclass
class User:
    username: str
    email: str
    groups: list[str] = field(default_factory=list)
    name: str = ""
    # Entra ID's group overage: the ID token names no groups and says where to read them
    # (`_claim_names`/`_claim_sources`), and the access token is one Microsoft Graph accepts
    # (as Entra's is when the login asked for Graph scopes): `graph_token`.
    groups_overage: bool = False
    graph_token: str | None = None

    def get_user_id(self) -> str:
        return self.username


def _redirect_pattern(pattern: str) -> re.Pattern:
    # `*` stands for one port or path segment: never '/', '?', '#' or '@', so a pattern cannot
    # be stretched to another host or path.
    return re.compile("[^/?#@]+".join(map(re.escape, pattern.split("*"))))


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    audience: str | list[str] | None = None
    scope: str = " ".join(SCOPES)
    grant_types: list[str] = field(default_factory=lambda: list(GRANT_TYPES))
    id_token_signed_response_alg: str = "RS256"
    token_endpoint_auth_methods: list[str] = field(default_factory=lambda: list(SECRET_AUTH_METHODS))
    jwks: dict | None = None
    jwks_uri: str | None = None
    jwks_ca: str | None = None
    client_metadata: dict = field(default_factory=dict)  # read by Authlib's UserInfoEndpoint

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        plain = [u for u in self.redirect_uris if "*" not in u]
        return plain[0] if len(self.redirect_uris) == 1 and plain else None

    def get_allowed_scope(self, scope):
        allowed = self.scope.split()
        if not scope:
            return " ".join(allowed)  # no scope asked: everything the client may have
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return any(_redirect_pattern(p).fullmatch(redirect_uri) for p in self.redirect_uris)

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in self.token_endpoint_auth_methods

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


class KeyRing:
    """Signing keys per algorithm: `current` signs, `previous` is still published (the overlap
    after a rotation), `retired` is no longer published but kept so tests can mint with it."""

    def __init__(self, path: Path, algs: list[str]):
        self.path, self.algs = path, algs
        self._lock = threading.RLock()
        self._unknown: dict[str, RSAKey | ECKey] = {}
        self._entries: list[dict] = []  # {"alg", "state", "key"}, newest first
        if path.exists():
            doc = json.loads(path.read_text())
            self._entries = [
                {"alg": e["alg"], "state": e["state"], "key": import_key(e["jwk"])} for e in doc["keys"]
            ]
        for alg in algs:
            if not any(e["alg"] == alg and e["state"] == "current" for e in self._entries):
                self._entries.insert(0, {"alg": alg, "state": "current", "key": self._new(alg)})
        self._save()

    @staticmethod
    def _new(alg: str) -> RSAKey | ECKey:
        params = {"alg": alg, "use": "sig"}
        key = RSAKey.generate_key(2048, params) if alg == "RS256" else ECKey.generate_key("P-256", params)
        key.ensure_kid()  # the RFC 7638 thumbprint
        return key

    def _save(self) -> None:
        doc = {"keys": [{"alg": e["alg"], "state": e["state"], "jwk": e["key"].as_dict(private=True)}
                        for e in self._entries]}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    def current(self, alg: str) -> RSAKey | ECKey:
        with self._lock:
            return next(e["key"] for e in self._entries if e["alg"] == alg and e["state"] == "current")

    def published(self) -> list[RSAKey | ECKey]:
        with self._lock:
            order = {"current": 0, "previous": 1}
            live = [e for e in self._entries if e["state"] in order]
            return [e["key"] for e in sorted(live, key=lambda e: order[e["state"]])]

    def jwks(self) -> dict:
        return {"keys": [k.as_dict(private=False) for k in self.published()]}

    def rotate(self) -> None:
        with self._lock:
            for e in self._entries:
                if e["state"] == "current":
                    e["state"] = "previous"
            self._entries[:0] = [{"alg": a, "state": "current", "key": self._new(a)} for a in self.algs]
            self._save()

    def retire(self) -> None:
        with self._lock:
            for e in self._entries:
                if e["state"] == "previous":
                    e["state"] = "retired"
            self._save()

    def pick(self, alg: str, which: str) -> RSAKey | ECKey | None:
        """The current key, the newest retired one, or a key that was never published."""
        with self._lock:
            if which == "current":
                return self.current(alg)
            if which == "retired":
                return next((e["key"] for e in self._entries
                             if e["alg"] == alg and e["state"] == "retired"), None)
            if which == "unknown":
                if alg not in self._unknown:
                    self._unknown[alg] = self._new(alg)
                return self._unknown[alg]
        return None

    def summary(self) -> dict:
        with self._lock:
            return {
                "current": {a: self.current(a).kid for a in self.algs},
                "published": [k.kid for k in self.published()],
                "retired": [e["key"].kid for e in self._entries if e["state"] == "retired"],
            }


# --- what Authlib's grants store --------------------------------------------------------------


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: float

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class RefreshToken:
    client_id: str
    user: User
    scope: str
    revoked: bool = False

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def is_expired(self):
        return False

    def is_revoked(self):
        return self.revoked


@dataclass
class AccessToken:
    """A verified access token JWT, as the userinfo endpoint's validator hands it to Authlib."""

    claims: dict
    user: User
    client: Client

    @property
    def scope(self):
        return self.claims.get("scope", "")

    def get_scope(self):
        return self.scope

    def get_user(self):
        return self.user

    def get_client(self):
        return self.client

    def is_expired(self):
        return self.claims.get("exp", 0) <= time.time()

    def is_revoked(self):
        return False


class Provider:
    """Everything one provider process holds; Authlib's grants reach it as `server.provider`."""

    def __init__(self, issuer: str, users: dict[str, User], clients: dict[str, Client],
                 keys: KeyRing, token_ttl: int, jwks_max_age: int):
        self.issuer, self.users, self.clients, self.keys = issuer, users, clients, keys
        self.token_ttl, self.jwks_max_age = token_ttl, jwks_max_age
        self.response_iss = False
        self.lock = threading.Lock()
        self.codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.nonces: set[tuple[str, str]] = set()
        self.fetches = {"jwks": 0, "discovery": 0}
        self.assertion_ids: set[str] = set()
        self.token_auth_methods: list[str] = []  # how each successful token request authenticated
        self.logouts: list[dict] = []

    def default_audience(self):
        first = next(iter(self.clients.values()), None)
        return (first.audience or first.client_id) if first else self.issuer

    def save_token(self, token: dict, req) -> None:
        if token.get("refresh_token"):
            with self.lock:
                self.refresh_tokens[token["refresh_token"]] = RefreshToken(
                    req.client.client_id, req.user, token.get("scope", ""))


# --- Authlib grants and extensions ------------------------------------------------------------


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code, req):
        p: Provider = self.server.provider
        data = req.payload.data
        item = AuthCode(
            code=code, client_id=req.client.client_id, redirect_uri=req.payload.redirect_uri,
            scope=req.scope, user=req.user, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=int(time.time()), expires_at=time.time() + CODE_TTL,
        )
        with p.lock:
            p.codes[code] = item
            if item.nonce:
                p.nonces.add((item.client_id, item.nonce))

    def query_authorization_code(self, code, client):
        item = self.server.provider.codes.get(code)
        if item and item.client_id == client.client_id and item.expires_at > time.time():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        self.server.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotate refresh tokens: each one works once

    def authenticate_refresh_token(self, refresh_token):
        item = self.server.provider.refresh_tokens.get(refresh_token)
        return item if item and not item.revoked else None

    def authenticate_user(self, refresh_token):
        return refresh_token.user

    def revoke_old_credential(self, refresh_token):
        refresh_token.revoked = True


class PrivateKeyJWT(JWTBearerClientAssertion):
    """`private_key_jwt` (RFC 7523 §2.2): an assertion signed with the client's own key, checked
    against the JWKS the client registered; each `jti` works once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, provider: Provider):
        super().__init__(validate_jti=True)
        self.provider = provider

    def get_audiences(self):
        return [f"{self.provider.issuer}/token", self.provider.issuer]

    def validate_jti(self, claims, jti):
        with self.provider.lock:
            if jti in self.provider.assertion_ids:
                return False
            self.provider.assertion_ids.add(jti)
            return True

    def resolve_client_public_key(self, client):
        if client.jwks:
            return KeySet.import_key_set(client.jwks)
        import httpx
        document = httpx.get(client.jwks_uri, verify=client.jwks_ca or True, timeout=10).json()
        return KeySet.import_key_set(document)


class RequireS256(CodeChallenge):
    """PKCE with S256 for every client, confidential ones too (RFC 9700 2.1.1), not only for
    public clients as Authlib's default does; `plain` is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'", redirect_uri=redirect_uri)
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256", redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)


def user_claims(user: User) -> dict:
    claims = {"sub": user.username, "name": user.name or user.username,
              "preferred_username": user.username, "email": user.email, "email_verified": True,
              "groups": list(user.groups)}
    if user.groups_overage:
        del claims["groups"]
        claims["_claim_names"] = {"groups": "src1"}
        claims["_claim_sources"] = {"src1": {"endpoint": f"https://graph.microsoft.com/v1.0/users/{user.username}/getMemberObjects"}}
    return claims


class IDTokens(OpenIDCode):
    def __init__(self, provider: Provider):
        super().__init__(require_nonce=False)
        self.provider = provider

    def exists_nonce(self, nonce, req):
        return (req.payload.client_id, nonce) in self.provider.nonces

    def resolve_client_private_key(self, client):
        # A one-key set: joserfc then names that key's `kid` in the header.
        return KeySet([self.provider.keys.current(self.get_client_algorithm(client))])

    def get_client_claims(self, client):
        return {"iss": self.provider.issuer, "aud": [client.client_id],
                "exp": int(time.time()) + self.provider.token_ttl}

    def generate_user_info(self, user, scope):
        return UserInfo(user_claims(user))


class AccessTokens(JWTBearerTokenGenerator):
    def __init__(self, provider: Provider):
        super().__init__(provider.issuer, alg="RS256", expires_generator=provider.token_ttl,
                         refresh_token_generator=lambda **_: generate_token(48))
        self.provider = provider

    def get_jwks(self):
        return KeySet([self.provider.keys.current("RS256")])

    def get_audiences(self, client, user, scope):
        return client.audience or client.client_id

    def generate(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        token = super().generate(grant_type, client, user=user, scope=scope, expires_in=expires_in,
                                 include_refresh_token=include_refresh_token)
        if user is not None and user.graph_token:
            token["access_token"] = user.graph_token
        return token

    def get_extra_claims(self, client, grant_type, user, scope):
        claims = {"nbf": int(time.time())}
        if user is not None:
            claims.update(email=user.email, groups=list(user.groups))
        return claims


class AccessTokenValidator(BearerTokenValidator):
    """The userinfo endpoint's bearer check: our own JWT access tokens, verified against the
    published keys, for a known user and client."""

    def __init__(self, provider: Provider):
        super().__init__()
        self.provider = provider

    def authenticate_token(self, token_string):
        p = self.provider
        try:
            token = jwt.decode(token_string, KeySet(p.keys.published()), algorithms=p.keys.algs)
        except (JoseError, ValueError):
            return None
        claims = token.claims
        user, client = p.users.get(claims.get("sub")), p.clients.get(claims.get("client_id"))
        if claims.get("iss") != p.issuer or user is None or client is None:
            return None
        return AccessToken(claims, user, client)


class UserInfoFromToken(UserInfoEndpoint):
    def generate_user_info(self, user, scope):
        return UserInfo(user_claims(user))


# --- HTTP -------------------------------------------------------------------------------------


def discovery_document(p: Provider) -> dict:
    base = p.issuer
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks",
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": p.keys.algs,
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "end_session_endpoint": f"{base}/logout",
        "authorization_response_iss_parameter_supported": p.response_iss,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name",
                             "preferred_username", "email", "email_verified", "groups"],
    }


LOGIN_FORM = """<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to {issuer}</h1>{message}
<form method="post" action="/authorize?{query}">
<label>User name <input name="login" value="{hint}" autofocus></label>
<button name="action" value="approve">Sign in</button>
<button name="action" value="deny">Deny</button>
</form></body></html>
"""


def login_form(p: Provider, message: str = "") -> Response:
    body = LOGIN_FORM.format(
        issuer=html.escape(p.issuer), query=html.escape(urlencode(list(request.args.items(multi=True)))),
        hint=html.escape(request.values.get("login") or request.args.get("login_hint") or ""),
        message=f"<p>{html.escape(message)}</p>" if message else "",
    )
    return Response(body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _merge(base: dict, overrides: dict | None) -> dict:
    """`base` with `overrides` applied; an override of null removes the member."""
    out = dict(base)
    for k, v in (overrides or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


MINT_ALGS = {"RS256": "RS256", "ES256": "ES256", "none": "RS256", "HS256-with-public-key": "RS256"}


def mint(p: Provider, body: dict) -> tuple[dict, int]:
    """A compact JWS built by hand, so it can break rules a JOSE library refuses to break.

    body: `alg` RS256 | ES256 | none | HS256-with-public-key (HMAC-SHA256 keyed with the RSA public
    key's PEM, the algorithm-confusion attack); `key` current | retired | unknown (never
    published); `claims` / `header` override a valid access token's (null removes a member);
    `embed_jwk: true` puts the signing key's public JWK in the header; `tamper: "signature"`
    corrupts the signature. Answers `{"token", "header", "claims"}`.
    """
    alg, which = body.get("alg", "RS256"), body.get("key", "current")
    if alg not in MINT_ALGS or MINT_ALGS[alg] not in p.keys.algs:
        return {"error": f"alg must be one of {sorted(MINT_ALGS)} (with its key type enabled)"}, 400
    if which not in ("current", "retired", "unknown"):
        return {"error": "key must be current, retired or unknown"}, 400
    key = p.keys.pick(MINT_ALGS[alg], which)
    if key is None:
        return {"error": f"no {which} {MINT_ALGS[alg]} key (POST /_test/rotate, then /_test/retire)"}, 409
    now = int(time.time())
    claims = _merge({"iss": p.issuer, "sub": "mint", "aud": p.default_audience(), "iat": now,
                     "nbf": now, "exp": now + p.token_ttl, "jti": secrets.token_hex(8),
                     "scope": "openid"}, body.get("claims"))
    header_alg = "HS256" if alg == "HS256-with-public-key" else alg
    header = _merge({"alg": header_alg, "typ": "at+jwt", "kid": key.kid}, body.get("header"))
    if body.get("embed_jwk"):
        header["jwk"] = key.as_dict(private=False)  # the embedded-key attack: "trust the key I carry"
    compact = lambda d: b64url(json.dumps(d, separators=(",", ":")).encode())  # noqa: E731
    signing_input = f"{compact(header)}.{compact(claims)}".encode()
    if alg == "none":
        signature = b""
    elif alg == "HS256-with-public-key":
        signature = hmac.new(key.as_pem(private=False), signing_input, hashlib.sha256).digest()
    else:
        signature = JWSRegistry.algorithms[alg].sign(signing_input, key)
    if body.get("tamper") == "signature":
        signature = bytes([signature[0] ^ 0x01]) + signature[1:] if signature else b"AAAA"
    token = f"{signing_input.decode()}.{b64url(signature)}"
    return {"token": token, "header": header, "claims": claims}, 200


def create_app(app: Flask, p: Provider, test_hooks: bool, discovery_overrides: dict | None = None) -> None:
    server = AuthorizationServer(app, query_client=p.clients.get, save_token=p.save_token)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT(p))
    server.provider = p
    server.register_token_generator("default", AccessTokens(p))
    server.register_grant(CodeGrant, [RequireS256(), IDTokens(p)])
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(RefreshTokenGrant)
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokenValidator(p))
    server.register_endpoint(UserInfoFromToken(resource_protector=protector))

    metadata = discovery_document(p)
    OpenIDProviderMetadata(metadata).validate()  # Authlib checks the document against the spec
    metadata = _merge(metadata, discovery_overrides)
    cache = {"Cache-Control": f"public, max-age={p.jwks_max_age}"}

    @app.get("/.well-known/openid-configuration")
    def discovery():
        with p.lock:
            p.fetches["discovery"] += 1
        return jsonify(metadata), 200, cache

    @app.get("/jwks")
    def jwks():
        with p.lock:
            p.fetches["jwks"] += 1
        return jsonify(p.keys.jwks()), 200, cache

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        login = request.form.get("login") if request.method == "POST" else request.args.get("login_hint")
        user = p.users.get(login or "")
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        if request.method == "POST" and request.form.get("action") == "deny":
            return server.create_authorization_response(grant_user=None, grant=grant)
        if user is None:
            return login_form(p, f"unknown user {login!r}" if request.method == "POST" else "")
        response = server.create_authorization_response(grant_user=user, grant=grant)
        if p.response_iss and "location" in response.headers:
            location = response.headers["location"]
            response.headers["location"] = location + ("&" if "?" in location else "?") + urlencode({"iss": p.issuer})
        return response

    @app.post("/token")
    def token():
        response = server.create_token_response()
        if response.status_code == 200:
            method = ("client_secret_basic" if request.headers.get("Authorization", "").startswith("Basic ")
                      else "private_key_jwt" if request.form.get("client_assertion")
                      else "client_secret_post" if request.form.get("client_secret") else "none")
            with p.lock:
                p.token_auth_methods.append(method)
        return response

    @app.get("/logout")
    def logout():
        target = request.args.get("post_logout_redirect_uri", "")
        with p.lock:
            p.logouts.append({"client_id": request.args.get("client_id"), "post_logout_redirect_uri": target})
        if target:
            return Response("", 302, {"Location": target})
        return Response("signed out", 200, {"Content-Type": "text/plain"})

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo():
        return server.create_endpoint_response("userinfo")

    if not test_hooks:
        return

    @app.post("/_test/rotate")
    def rotate():
        p.keys.rotate()
        return jsonify(p.keys.summary())

    @app.post("/_test/retire")
    def retire():
        p.keys.retire()
        return jsonify(p.keys.summary())

    @app.get("/_test/fetches")
    def fetches():
        with p.lock:
            return jsonify(dict(p.fetches))

    @app.get("/_test/requests")
    def requests_seen():
        """How token requests authenticated (in order) and which logouts came in."""
        with p.lock:
            return jsonify({"token_auth_methods": list(p.token_auth_methods), "logouts": list(p.logouts)})

    @app.post("/_test/mint")
    def mint_view():
        doc, status = mint(p, request.get_json(force=True, silent=True) or {})
        return jsonify(doc), status


# --- configuration ----------------------------------------------------------------------------


def parse_user(spec: str) -> User:
    """`alice:alice@example.com:eng,ops` (groups optional)."""
    username, email, *rest = spec.split(":", 2)
    return User(username, email, [g for g in (rest[0] if rest else "").split(",") if g])


def parse_client(spec: str) -> Client:
    """`gatehouse:secret:http://127.0.0.1:*/auth/*/callback` (the redirect URI may hold ':')."""
    client_id, secret, redirect = spec.split(":", 2)
    return Client(client_id, secret, [redirect])


def main() -> None:
    parser = base_parser("OpenID Connect provider for the end-to-end tests (Authlib)")
    parser.add_argument("--state-dir", required=True, help="keeps keys.json across restarts")
    parser.add_argument("--config", help="JSON file with users and clients")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:EMAIL[:GROUP,...]")
    parser.add_argument("--client", action="append", default=[], metavar="ID:SECRET:REDIRECT_PATTERN")
    parser.add_argument("--jwks-max-age", type=int, default=300, help="Cache-Control max-age of /jwks")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access and ID token lifetime (s)")
    parser.add_argument("--no-ec-key", action="store_true", help="publish only the RSA key (RS256)")
    parser.add_argument("--issuer-path", default="", metavar="/TENANT/v2.0",
                        help="serve everything under this path, which becomes part of the issuer "
                             "(Entra ID's layout: https://login.microsoftonline.com/{tenant}/v2.0)")
    args = parser.parse_args()

    config = load_json(args.config)
    users = [User(**u) for u in config.get("users", [])] + [parse_user(s) for s in args.user]
    clients = [Client(**c) for c in config.get("clients", [])] + [parse_client(s) for s in args.client]
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    keys = KeyRing(state_dir / "keys.json", ["RS256"] if args.no_ec_key else ["RS256", "ES256"])

    app = Flask("oidc_provider")
    server, base = bind(app, args.host, args.port)
    prefix = args.issuer_path.rstrip("/")
    if prefix:
        from werkzeug.exceptions import NotFound
        from werkzeug.middleware.dispatcher import DispatcherMiddleware
        app.wsgi_app = DispatcherMiddleware(NotFound(), {prefix: app.wsgi_app})
        base += prefix
    provider = Provider(base, {u.username: u for u in users}, {c.client_id: c for c in clients},
                        keys, args.token_ttl, args.jwks_max_age)
    provider.response_iss = bool(config.get("response_iss"))
    create_app(app, provider, args.enable_test_hooks, config.get("discovery"))
    announce_and_serve(server, {
        "issuer": base, "base_url": base, "jwks_uri": f"{base}/jwks",
        "discovery_url": f"{base}/.well-known/openid-configuration", "pid": os.getpid(),
    })


if __name__ == "__main__":
    main()
