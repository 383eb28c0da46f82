"""The `studygate` command (HTTP.md): migrate, serve, load-fixtures, create-api-client,
revoke-api-client, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        sys.exit(f"studygate: {exc}")


async def _with_db(settings: Settings, work):
    from models.db import close_db, init_db, migrate

    await migrate(settings.database_url)
    await init_db(settings.database_url, 2)
    try:
        return await work()
    finally:
        await close_db()


def cmd_migrate(args: argparse.Namespace) -> None:
    from models.db import migrate

    settings = _settings()
    asyncio.run(migrate(settings.database_url))
    print("migrations applied")


def cmd_load_fixtures(args: argparse.Namespace) -> None:
    from auth.crypto import Keyring
    from resolvers.fixtures import FixtureError, load_fixtures

    settings = _settings()
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        sys.exit(f"studygate: cannot read {args.file}: {exc.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        sys.exit(f"studygate: {args.file} is not valid JSON: {exc}")

    async def work():
        return await load_fixtures(data, Keyring(settings.secret_key or ""))

    try:
        counts = asyncio.run(_with_db(settings, work))
    except FixtureError as exc:
        sys.exit(f"studygate: {args.file}: {exc} (nothing was loaded)")
    print("loaded: " + ", ".join(f"{n} {k}" for k, n in counts.items()))


def cmd_create_api_client(args: argparse.Namespace) -> None:
    from auth.api_clients import ApiClientError, create_api_client, parse_scopes
    from auth.crypto import Keyring

    settings = _settings()
    try:
        scopes = parse_scopes(args.scopes)
    except ApiClientError as exc:
        sys.exit(f"studygate: {exc}")

    async def work():
        return await create_api_client(
            Keyring(settings.secret_key or ""), settings.environment, args.institution,
            args.name, scopes, datetime.now(timezone.utc),
        )

    try:
        client, token = asyncio.run(_with_db(settings, work))
    except ApiClientError as exc:
        sys.exit(f"studygate: {exc}")
    print(token)
    # stdout is the token alone (for scripts); the id, for revoke-api-client --id, goes aside.
    print(f"API client id {client.id}", file=sys.stderr)


def cmd_revoke_api_client(args: argparse.Namespace) -> None:
    from auth.api_clients import ApiClientError, revoke_api_clients

    if args.id is None and not (args.institution and args.name):
        sys.exit("studygate: give --id, or --institution and --name")
    settings = _settings()

    async def work():
        return await revoke_api_clients(
            settings.environment, datetime.now(timezone.utc), institution_code=args.institution,
            name=args.name, client_id=args.id,
        )

    try:
        count = asyncio.run(_with_db(settings, work))
    except ApiClientError as exc:
        sys.exit(f"studygate: {exc}")
    if not count:
        sys.exit("studygate: no active API client matches (nothing revoked)")
    print(f"revoked {count} API client{'s' if count > 1 else ''}")


def cmd_export_schema(args: argparse.Namespace) -> None:
    import schema

    print(schema.build_schema().as_str())


async def _load_demo_if_empty(settings: Settings) -> str | None:
    from auth.crypto import Keyring
    from models.environments import Environment
    from resolvers.demo_data import demo_fixture, demo_sign_ins
    from resolvers.fixtures import load_fixtures

    if await Environment.all().exists():
        return None
    fixture = demo_fixture(datetime.now(timezone.utc))
    await load_fixtures(fixture, Keyring(settings.secret_key or ""))
    return demo_sign_ins(fixture)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app import create_app

    settings = _settings()
    if settings.dev:
        sign_ins = asyncio.run(_with_db(settings, lambda: _load_demo_if_empty(settings)))
        if sign_ins:
            print("Loaded the demo data set. Sign-ins:\n" + sign_ins, flush=True)
    else:
        from models.db import migrate

        asyncio.run(migrate(settings.database_url))
    print(f"StudyGate ({settings.environment}) on http://{args.host}:{args.port}/graphql", flush=True)
    from auth.request_log import configure_logging

    configure_logging()  # one JSON line per request; uvicorn's own access log would print
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                proxy_headers=False, access_log=False)  # query strings, secrets included


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="studygate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    p = sub.add_parser("load-fixtures", help="load a data file, all or nothing")
    p.add_argument("file")
    p.set_defaults(run=cmd_load_fixtures)
    p = sub.add_parser("serve", help="migrate, then serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("create-api-client", help="print a new bearer token once")
    p.add_argument("--institution", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--scopes", required=True)
    p.set_defaults(run=cmd_create_api_client)
    p = sub.add_parser("revoke-api-client", help="revoke a client by id, or by institution and name")
    p.add_argument("--id", type=int)
    p.add_argument("--institution")
    p.add_argument("--name")
    p.set_defaults(run=cmd_revoke_api_client)
    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        run=cmd_export_schema
    )
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
