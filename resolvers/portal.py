"""The country portals (E2-E4) and the browser check (B1): what the portal page asks on load.

Where the browser came from (E4) is known from the signed, one-hour `studygate_env_from`
cookie that chooseEnvironment and goBackEnvironment set (portals behind one host share it),
else from our `from` marker in the query of the `Referer` (the portal page the browser
landed on, e.g. `https://nl.studygate.example/?from=BE`), checked against configured codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import pycountry

from auth.browsers import BrowserSupport, browser_support
from models.environments import Environment
from resolvers import signed_cookies
from resolvers.environments import all_environments
from resolvers.errors import ApiError, bad_input, not_found

if TYPE_CHECKING:
    from schema.context import Context

REMEMBERED_COOKIE = "studygate_env"
FROM_COOKIE = "studygate_env_from"
FROM_MARKER = "from"
FROM_LIFETIME = timedelta(hours=1)
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_CODE = re.compile(r"[A-Za-z0-9]{2,10}")


@dataclass(frozen=True)
class Suggestion:
    detected_country: str | None
    current: Environment
    suggested: Environment | None
    remembered: Environment | None
    should_prompt: bool


@dataclass(frozen=True)
class Redirect:
    environment: Environment
    redirect_url: str


def iso_country(value: str | None) -> str | None:
    """The upper-case ISO 3166-1 alpha-2 code `value` names, or None when it names none."""
    value = (value or "").strip()
    if not _COUNTRY.fullmatch(value):
        return None
    code = value.upper()
    return code if pycountry.countries.get(alpha_2=code) is not None else None


def detected_country(ctx: Context, argument: str | None) -> str | None:
    """E2: the argument (BAD_USER_INPUT when invalid), else the trusted proxy's header."""
    if argument is not None:
        country = iso_country(argument)
        if country is None:
            raise bad_input("country", "an ISO 3166-1 alpha-2 country code such as NL")
        return country
    header = ctx.settings.country_header
    peer = ctx.request.client.host if ctx.request.client else None
    # Anyone can send the header; only our proxy's word counts, and a bad value is no value.
    if header and ctx.settings.is_trusted_proxy(peer):
        return iso_country(ctx.request.headers.get(header))
    return None


async def remembered_environment(ctx: Context) -> Environment | None:
    """The browser's remembered portal (E3); a tampered or stale cookie is no choice."""
    code = signed_cookies.read_signed(ctx, REMEMBERED_COOKIE)
    return await Environment.filter(code=code).first() if code else None


async def environment_suggestion(ctx: Context, country: str | None) -> Suggestion:
    """E2: which portal serves the detected country, and whether to ask the browser."""
    detected = detected_country(ctx, country)
    serving = [e for e in await all_environments() if detected and e.country == detected]
    here = ctx.environment
    suggested = None if any(e.id == here.id for e in serving) else next(iter(serving), None)
    remembered = await remembered_environment(ctx)
    return Suggestion(
        detected_country=detected, current=here, suggested=suggested, remembered=remembered,
        should_prompt=suggested is not None and remembered is None,
    )


def portal_url(environment: Environment, came_from: str | None) -> str:
    """The configured portal URL plus only our `from` marker: never an address from input."""
    parts = urlsplit(environment.portal_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError("NOT_FOUND", f"Environment {environment.code} has no valid portal URL.")
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != FROM_MARKER]
    if came_from:
        query.append((FROM_MARKER, came_from))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


async def configured_environment(code: str, argument: str = "code") -> Environment:
    """The environment `code` names: BAD_USER_INPUT for a malformed code, NOT_FOUND if unknown."""
    if not _CODE.fullmatch(code):
        raise bad_input(argument, "an environment code such as BE (2 to 10 letters or digits)")
    environment = await Environment.filter(code=code.upper()).first()
    if environment is None:
        raise not_found(f"No environment {code.upper()}.")
    return environment


def _travel(ctx: Context, target: Environment) -> Redirect:
    """The redirect to `target`, recording the portal the browser leaves (for E4)."""
    here = ctx.environment
    if target.id == here.id:
        url = portal_url(target, None)
        signed_cookies.delete(ctx, FROM_COOKIE)
        return Redirect(target, url)
    url = portal_url(target, here.code)
    stamp = f"{here.code}:{int(ctx.now.timestamp())}"
    signed_cookies.set_signed(ctx, FROM_COOKIE, stamp, int(FROM_LIFETIME.total_seconds()))
    return Redirect(target, url)


async def choose_environment(ctx: Context, code: str, remember: bool) -> Redirect:
    """E3: the chosen portal's URL; `remember` stores the choice for a year."""
    target = await configured_environment(code)
    redirect = _travel(ctx, target)
    if remember:
        signed_cookies.set_signed(ctx, REMEMBERED_COOKIE, target.code, signed_cookies.ONE_YEAR)
    return redirect


def _code_from_cookie(ctx: Context) -> str | None:
    stamp = signed_cookies.read_signed(ctx, FROM_COOKIE)
    code, _, issued = (stamp or "").partition(":")
    if not code or not issued.isdigit() or len(issued) > 12:
        return None
    age = ctx.now.timestamp() - int(issued)
    return code if 0 <= age <= FROM_LIFETIME.total_seconds() else None


def _code_from_referer(ctx: Context) -> str | None:
    try:
        query = urlsplit(ctx.request.headers.get("referer", "")[:2048]).query
    except ValueError:  # e.g. a broken IPv6 host: no marker
        return None
    values = parse_qs(query).get(FROM_MARKER, [])
    return values[0].upper() if len(values) == 1 and _CODE.fullmatch(values[0]) else None


async def previous_environment(ctx: Context) -> Environment | None:
    """E4: the portal the browser came from (cookie, else the marker), if configured."""
    code = _code_from_cookie(ctx) or _code_from_referer(ctx)
    return await Environment.filter(code=code).first() if code else None


async def go_back_environment(ctx: Context, clear_preferences: bool) -> Redirect:
    """E4: back to the previous portal; with `clear_preferences` the remembered choice goes."""
    previous = await previous_environment(ctx)
    if previous is None:
        raise not_found("No previous environment is known for this browser.")
    redirect = _travel(ctx, previous)
    if clear_preferences:
        signed_cookies.delete(ctx, REMEMBERED_COOKIE)
    return redirect


def client_support(ctx: Context) -> BrowserSupport:
    """B1: whether the browser that sent this request is supported."""
    return browser_support(ctx.request.headers.get("user-agent"), ctx.settings.browser_upgrade_url)
