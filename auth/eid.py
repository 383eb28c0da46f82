"""The e-ID identity provider (L7): one OpenID Connect client behind a small interface.

Discovery, the authorization URL (code flow with PKCE S256, state and nonce), the code exchange
and the ID token's checks use authlib's protocol pieces and joserfc; httpx carries the requests.
Everything comes from the issuer's discovery document, so tests swap only the issuer's address.
"""

from __future__ import annotations

import logging
import secrets
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from settings import Settings

log = logging.getLogger("studygate.eid")

SCOPE = "openid profile egovnrn"
LEEWAY_SECONDS = 60  # clock skew tolerated on exp, iat and nbf
CACHE_SECONDS = 3600  # discovery document and signing keys
TIMEOUT_SECONDS = 10
MAX_SUBJECT_LENGTH = 50  # User.eid_subject
# Asymmetric algorithms only: never "none", never HMAC with the client secret.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                      "ES512", "EdDSA")

_metadata_cache: dict[str, tuple[float, OpenIDProviderMetadata]] = {}
_keys_cache: dict[str, tuple[float, KeySet]] = {}


class EidUnavailable(Exception):
    """The provider cannot be reached, answers nonsense, or refuses our client credentials."""


class EidRejected(Exception):
    """The code or the ID token did not pass a check (replay, tampering, wrong nonce, expiry...)."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    subject_claim: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """The STUDYGATE_OIDC_* settings; None while any of them is missing."""
        values = (settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret,
                  settings.oidc_redirect_uri)
        if not all(values) or not settings.oidc_subject_claim:
            return None
        issuer, client_id, secret, redirect = (str(v) for v in values)
        return cls(issuer, client_id, secret, redirect, settings.oidc_subject_claim)


def new_code_verifier() -> str:
    """A PKCE verifier of 64 characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


@cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~100 ms: once per process, not once per request.
    return httpx.create_ssl_context()


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, verify=_tls())


def clear_caches() -> None:
    """Forget every discovery document and key set (tests, key rotation by hand)."""
    _metadata_cache.clear()
    _keys_cache.clear()


class OidcClient:
    """One relying party of one issuer."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config

    async def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        """Where the browser goes to sign in; raises EidUnavailable when discovery fails."""
        meta = await self._metadata()
        return prepare_grant_uri(
            meta["authorization_endpoint"], self.config.client_id, "code",
            redirect_uri=self.config.redirect_uri, scope=SCOPE, state=state, nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier), code_challenge_method="S256",
        )

    async def subject(self, code: str, code_verifier: str, nonce: str, now: datetime) -> str:
        """Exchanges the code, checks the ID token and returns the subject claim's value.

        Raises EidRejected when a check fails, EidUnavailable when the provider does.
        """
        tokens = await self._exchange(code, code_verifier)
        claims = await self._id_token_claims(tokens, nonce, now)
        value = claims.get(self.config.subject_claim)
        if value is None:
            value = await self._userinfo_claim(tokens, claims)
        subject = str(value).strip() if isinstance(value, (str, int)) else ""
        if not subject or len(subject) > MAX_SUBJECT_LENGTH:
            raise EidRejected(f"claim {self.config.subject_claim} missing or malformed")
        return subject

    async def _get_json(self, url: str, **kw: Any) -> Any:
        try:
            async with _http() as http:
                response = await http.get(url, **kw)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise EidUnavailable(f"{url}: {type(exc).__name__}") from exc

    async def _metadata(self) -> OpenIDProviderMetadata:
        issuer = self.config.issuer
        cached = _metadata_cache.get(issuer)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        meta = OpenIDProviderMetadata(await self._get_json(get_well_known_url(issuer, True)))
        try:
            # OIDC Discovery 4.3: the document must name exactly the issuer we asked.
            if meta.get("issuer") != issuer:
                raise ValueError(f"issuer {meta.get('issuer')!r} is not {issuer!r}")
            meta.validate_issuer()
            meta.validate_authorization_endpoint()
            meta.validate_token_endpoint()
            if not meta.get("jwks_uri") or not meta.get("authorization_endpoint"):
                raise ValueError("jwks_uri and authorization_endpoint are required")
            meta.validate_jwks_uri()
        except (ValueError, TypeError) as exc:
            log.error("e-ID discovery document of %s refused: %s", issuer, exc)
            raise EidUnavailable(str(exc)) from exc
        _metadata_cache[issuer] = (time.monotonic() + CACHE_SECONDS, meta)
        return meta

    async def _keys(self, jwks_uri: str, refresh: bool) -> KeySet:
        cached = _keys_cache.get(jwks_uri)
        if cached and not refresh and cached[0] > time.monotonic():
            return cached[1]
        try:
            keys = KeySet.import_key_set(await self._get_json(jwks_uri))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise EidUnavailable(f"bad key set: {type(exc).__name__}") from exc
        _keys_cache[jwks_uri] = (time.monotonic() + CACHE_SECONDS, keys)
        return keys

    def _client_auth(self, meta: OpenIDProviderMetadata) -> ClientAuth:
        # RFC 8414: a provider that names no method supports client_secret_basic.
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = next((m for m in ("client_secret_basic", "client_secret_post") if m in methods), None)
        if method is None:
            raise EidUnavailable(f"no supported client authentication in {methods}")
        return ClientAuth(self.config.client_id, self.config.client_secret, method)

    async def _exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        meta = await self._metadata()
        url = meta["token_endpoint"]
        body = prepare_token_request("authorization_code", code=code,
                                     redirect_uri=self.config.redirect_uri,
                                     code_verifier=code_verifier)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}
        url, headers, body = self._client_auth(meta).prepare("POST", url, headers, body)
        try:
            async with _http() as http:
                response = await http.post(url, content=body, headers=headers)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise EidUnavailable(f"token endpoint: {type(exc).__name__}") from exc
        error = answer.get("error") if isinstance(answer, dict) else "malformed"
        if response.is_success and not error:
            return answer
        # Our own credentials refused, or the provider failing: nothing the user can fix.
        if response.status_code >= 500 or error in ("invalid_client", "unauthorized_client"):
            log.error("e-ID token endpoint refused us: %s %s", response.status_code, error)
            raise EidUnavailable(f"token endpoint: {error}")
        raise EidRejected(f"token endpoint: {error}")

    async def _id_token_claims(self, tokens: dict[str, Any], nonce: str,
                               now: datetime) -> CodeIDToken:
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise EidRejected("no id_token in the token response")
        meta = await self._metadata()
        offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in offered if a in SIGNING_ALGORITHMS]
        if not algorithms:
            raise EidUnavailable(f"no asymmetric ID token algorithm in {offered}")
        # Private header parameters are tolerated (as authlib's own client does); `crit` is not.
        registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
        try:
            try:
                keys = await self._keys(meta["jwks_uri"], False)
                token = jwt.decode(id_token, keys, registry=registry)
            except InvalidKeyIdError:  # the provider rotated its keys: fetch them once more
                keys = await self._keys(meta["jwks_uri"], True)
                token = jwt.decode(id_token, keys, registry=registry)
            claims = CodeIDToken(
                token.claims, token.header,
                {"iss": {"essential": True, "value": self.config.issuer},
                 "aud": {"essential": True, "value": self.config.client_id}},
                {"nonce": nonce, "client_id": self.config.client_id,
                 "access_token": tokens.get("access_token")},
            )
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError, TypeError) as exc:
            raise EidRejected(f"id_token: {type(exc).__name__}: {exc}") from exc
        return claims

    async def _userinfo_claim(self, tokens: dict[str, Any], claims: CodeIDToken) -> Any:
        """Providers that keep the national number out of the ID token serve it at userinfo."""
        meta = await self._metadata()
        endpoint, access_token = meta.get("userinfo_endpoint"), tokens.get("access_token")
        if not endpoint or not isinstance(access_token, str):
            return None
        info = await self._get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        # OIDC Core 5.3.2: userinfo about anyone else than the ID token's subject is refused.
        if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
            raise EidRejected("userinfo subject differs from the ID token")
        return info.get(self.config.subject_claim)
