"""StudyGate settings: every variable of HTTP.md, parsed and validated once at start-up."""

from __future__ import annotations

import secrets
from functools import lru_cache
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """A setting has a bad value; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDYGATE_", extra="ignore")

    database_url: str = "sqlite://studygate.db"
    environment: str = "BE"
    dev: bool = False
    secret_key: str | None = None
    redis_url: str | None = None
    redis_prefix: str = Field(default="sg", pattern=r"^[A-Za-z0-9_.-]{1,40}$")  # key namespace

    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "no-reply@localhost"
    service_desk_email: str = "servicedesk@localhost"

    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    payment_webhook_secret: str | None = None
    checkout_url: str = "{portal}/pay/{challengeId}"

    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_uri: str | None = None
    oidc_subject_claim: str = "egovNRN"

    country_header: str | None = None
    trusted_proxies: str | None = None
    allowed_origins: str | None = None
    graphiql: bool | None = None
    introspection: bool | None = None
    practitioner_2fa: Literal["optional", "required"] = "optional"
    # Portal (C1, B1): unset notice text means the built-in one naming our cookies.
    cookie_notice_text: str | None = Field(default=None, min_length=1, max_length=5000)
    browser_upgrade_url: str = Field(
        default="https://browsehappy.com/", pattern=r"^(https?://[^\s/?#]+(/\S*)?|/([^/\s]\S*)?)$")

    # Timings of RULES.md; each rule's default, overridable.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=4, ge=1)
    db_pool_size: int = Field(default=20, ge=1, le=500)
    # Fair use of the partner API: points (schema/cost.py) per API client per clock hour.
    api_points_per_hour: int = Field(default=1_000_000, ge=1)
    # S1: the most a single query may cost (schema/cost.py), refused before execution.
    max_query_cost: int = Field(default=10_000, ge=1)

    @field_validator("environment")
    @classmethod
    def _environment_code(cls, value: str) -> str:
        value = value.strip().upper()
        if not value.isalnum() or not 2 <= len(value) <= 10:
            raise ValueError("must be an environment code such as BE or NL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str | None) -> str | None:
        for part in _split(value):
            ip_network(part, strict=False)  # raises ValueError with the bad entry
        return value

    @model_validator(mode="after")
    def _production_needs_key(self) -> "Settings":
        if not self.dev and not self.secret_key:
            raise ValueError(
                "STUDYGATE_SECRET_KEY is required outside development mode (STUDYGATE_DEV=1)"
            )
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ValueError("STUDYGATE_SECRET_KEY must be at least 32 characters")
        return self

    # Derived values, computed once.
    @property
    def graphiql_enabled(self) -> bool:
        return self.dev if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.dev if self.introspection is None else self.introspection

    @property
    def trusted_proxy_networks(self) -> list:
        return [ip_network(p, strict=False) for p in _split(self.trusted_proxies)]

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o.rstrip("/") for o in _split(self.allowed_origins)]

    def is_trusted_proxy(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted_proxy_networks)

    @property
    def session_cookie_name(self) -> str:
        return "studygate" if self.dev else "__Host-studygate"


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _dev_secret_file(database_url: str) -> Path:
    """In development the key lives in a file beside the SQLite database (else the cwd)."""
    if database_url.startswith("sqlite://"):
        path = database_url[len("sqlite://"):].split("?")[0]
        if path and path != ":memory:":
            return Path(path).resolve().parent / ".studygate-secret-key"
    return Path.cwd() / ".studygate-secret-key"


def load_settings() -> Settings:
    """Read the environment; a bad value raises SettingsError naming the variable."""
    try:
        settings = Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "STUDYGATE_" + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else ""
            lines.append(f"{name}: {err['msg']}".lstrip(": "))
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
    if settings.secret_key is None:
        key_file = _dev_secret_file(settings.database_url)
        if key_file.exists():
            settings.secret_key = key_file.read_text().strip()
        else:
            settings.secret_key = secrets.token_urlsafe(48)
            key_file.write_text(settings.secret_key)
            key_file.chmod(0o600)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
