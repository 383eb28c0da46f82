"""A real OpenID Connect provider on loopback for the e-ID tests (L7), built on authlib's server.

It serves discovery, a JWKS, a login form at /authorize that redirects to the client's
redirect_uri with code and state, a token endpoint that authenticates the client and checks the
PKCE verifier (S256 required), RS256-signed ID tokens and userinfo. Knobs (`reset()` restores
them) make it misbehave like a broken or hostile provider would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import uvicorn
from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfo
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.live import free_port

CLIENT_ID, CLIENT_SECRET = "studygate-test", "test-client-secret-0123456789"
REDIRECT_URI = "https://be.studygate.example/eid/callback"
CODE_SECONDS = 600


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uri: str
    auth_method: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("openid", "profile", "egovnrn"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class IssuedCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, str]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


class FormRequest(OAuth2Request):
    """An OAuth2Request from a Starlette request's query string and form."""

    def __init__(self, request: Request, form: dict[str, str]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args, self._form = dict(request.query_params), form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class RequiredS256(CodeChallenge):
    """PKCE is mandatory here, for confidential clients too, and only with S256."""

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.server.provider.codes[code] = IssuedCode(
            code, request.client.client_id, request.payload.redirect_uri, request.scope,
            request.user, data.get("nonce"), data.get("code_challenge"),
            data.get("code_challenge_method"), int(time.time()),
        )

    def query_authorization_code(self, code, client):
        item = self.server.provider.codes.get(code)
        fresh = item is not None and item.auth_time + CODE_SECONDS > time.time()
        return item if fresh and item.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code):
        self.server.provider.codes.pop(authorization_code.code, None)  # single use

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class IdTokens(OpenIDCode):
    def __init__(self, provider: OidcTestProvider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce, request):
        return False

    def resolve_client_private_key(self, client):
        return self.provider.signing_key or self.provider.key

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": self.provider.key.kid}

    def get_client_claims(self, client):
        now = int(time.time())
        return {"iss": self.provider.token_issuer or self.provider.issuer,
                "aud": self.provider.token_audience or [client.client_id], "iat": now, "exp": now + self.provider.token_seconds}

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        if self.provider.nonce_override is not None:
            claims["nonce"] = self.provider.nonce_override
        return claims

    def generate_user_info(self, user, scope):
        return UserInfo({k: v for k, v in user.items()
                         if k != "egovNRN" or not self.provider.nrn_in_userinfo_only})

    def process_token(self, grant, response):
        token = super().process_token(grant, response)
        if self.provider.alter_id_token and "id_token" in token:
            token["id_token"] = self.provider.alter_id_token(token["id_token"])
        return token


class Server(AuthorizationServer):
    def __init__(self, provider: OidcTestProvider) -> None:
        super().__init__(scopes_supported=["openid", "profile", "egovnrn"])
        self.provider = provider
        self.register_token_generator("default", BearerTokenGenerator(lambda **kw: generate_token(42)))
        self.register_grant(CodeGrant, [RequiredS256(required=True), IdTokens(provider)])

    def query_client(self, client_id):
        client = self.provider.client
        return client if client_id == client.client_id else None

    def save_token(self, token, request):
        self.provider.access_tokens[token["access_token"]] = request.user

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        if isinstance(body, dict):
            return JSONResponse(body, status, dict(headers))
        return Response(body, status, dict(headers))

    def send_signal(self, name, *args, **kwargs):
        pass


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (no multipart library needed)."""
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


LOGIN_FORM = """<!doctype html><title>Test e-ID</title><form method="post">
<p>{error}</p><label>User <input name="username"></label><button>Sign in</button></form>"""


class OidcTestProvider:
    """Context manager: the provider on a free loopback port, in a uvicorn thread."""

    def __init__(self, auth_method: str = "client_secret_basic", key: RSAKey | None = None) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = key or RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)
        self.client = Client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, auth_method)
        self.codes: dict[str, IssuedCode] = {}
        self.access_tokens: dict[str, dict[str, str]] = {}
        self.server = Server(self)
        self.reset()

    def reset(self) -> None:
        """Back to an honest provider without users."""
        self.users: dict[str, dict[str, str]] = {}
        self.token_issuer: str | None = None  # `iss` of the ID tokens, when not the issuer
        self.token_seconds = 300
        self.token_audience: list[str] | None = None  # `aud` of the ID tokens, when not the client
        self.nonce_override: str | None = None
        self.signing_key: RSAKey | None = None  # a key that is not in the JWKS
        self.alter_id_token: Callable[[str], str] | None = None
        self.nrn_in_userinfo_only = False
        self.discovery_overrides: dict[str, Any] = {}

    def add_user(self, login: str, nrn: str, name: str = "Test Person") -> None:
        self.users[login] = {"sub": f"sub-{login}", "egovNRN": nrn, "name": name}

    def settings(self) -> dict[str, str]:
        """The api_factory settings of a StudyGate that uses this provider."""
        return {"oidc_issuer": self.issuer, "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": CLIENT_SECRET, "oidc_redirect_uri": REDIRECT_URI}

    def _discovery(self) -> dict[str, Any]:
        doc = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "scopes_supported": ["openid", "profile", "egovnrn"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [self.client.auth_method],
            "code_challenge_methods_supported": ["S256"],
        }
        return {**doc, **self.discovery_overrides}

    async def _authorize(self, request: Request) -> Response:
        form = await _form(request)
        oauth = FormRequest(request, form)
        try:
            grant = self.server.get_consent_grant(oauth)
        except OAuth2Error as error:
            return self.server.handle_error_response(oauth, error)
        user = self.users.get(form.get("username", ""))
        if request.method == "GET" or user is None:
            return HTMLResponse(LOGIN_FORM.format(error="Unknown user." if form else ""))
        return self.server.create_authorization_response(oauth, grant_user=user, grant=grant)

    async def _token(self, request: Request) -> Response:
        form = await _form(request)
        return self.server.create_token_response(FormRequest(request, form))

    async def _userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        user = self.access_tokens.get(token)
        return JSONResponse(user) if user else JSONResponse({"error": "invalid_token"}, 401)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", lambda r: JSONResponse(self._discovery())),
            Route("/jwks", lambda r: JSONResponse({"keys": [self.key.as_dict(private=False)]})),
            Route("/authorize", self._authorize, methods=["GET", "POST"]),
            Route("/token", self._token, methods=["POST"]),
            Route("/userinfo", self._userinfo),
        ])

    async def sign_in(self, authorization_url: str, username: str) -> dict[str, str]:
        """As a browser: open the login page, post the form, follow nothing; returns the
        redirect's query (code and state) after checking it goes to the registered redirect_uri."""
        async with httpx.AsyncClient(timeout=10, verify=False) as browser:  # plain HTTP anyway
            page = await browser.get(authorization_url)
            assert page.status_code == 200 and "<form" in page.text, page.text
            answer = await browser.post(authorization_url, data={"username": username})
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(REDIRECT_URI + "?"), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def __enter__(self) -> OidcTestProvider:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._uvicorn.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test OpenID provider did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._uvicorn.should_exit = True
        self._thread.join(timeout=10)
