"""The `studygate` command as HTTP.md writes it: migrate, load-fixtures, create-api-client,
export-schema, and settings that refuse a bad value with a clear message."""

import json

import httpx
from graphql import build_schema

from tests.live import live_server, run_cli

SECRET = "cli-test-secret-key-0123456789abcdefghij"

FILE = {
    "environments": [{"code": "BE", "name": "Belgium", "country": "BE",
                      "portalUrl": "https://be.studygate.example", "eidLoginEnabled": True}],
    "institutions": [{"code": "AZX", "name": "AZ Example", "environment": "BE",
                      "policy": {"practitionerImages": True, "practitionerReport": True,
                                 "patientImages": True, "patientReport": True,
                                 "patientReportDelayHours": 0}}],
}


def env_for(tmp_path, **extra):
    return {"STUDYGATE_DATABASE_URL": f"sqlite://{tmp_path}/cli.db",
            "STUDYGATE_SECRET_KEY": SECRET, "STUDYGATE_DEV": "0", **extra}


def test_migrate_is_idempotent(tmp_path):
    env = env_for(tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    second = run_cli("migrate", env=env)
    assert second.returncode == 0, second.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_cli("migrate", env={**env_for(tmp_path), "STUDYGATE_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "STUDYGATE_SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_named(tmp_path):
    result = run_cli("migrate", env=env_for(tmp_path, STUDYGATE_SMTP_PORT="twenty-five"))
    assert result.returncode != 0 and "STUDYGATE_SMTP_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_schema_prints_valid_sdl_with_the_contract_root_fields(tmp_path):
    result = run_cli("export-schema", env={})
    assert result.returncode == 0, result.stderr
    schema = build_schema(result.stdout)
    assert {"studies", "study", "studyByUid", "node", "viewer"} <= set(schema.query_type.fields)
    assert "loginWithPassword" in schema.mutation_type.fields


def test_load_fixtures_then_create_api_client_whose_token_works(tmp_path):
    env = env_for(tmp_path)
    data = tmp_path / "data.json"
    data.write_text(json.dumps(FILE))
    loaded = run_cli("load-fixtures", str(data), env=env)
    assert loaded.returncode == 0, loaded.stderr
    created = run_cli("create-api-client", "--institution", "AZX", "--name", "PACS",
                      "--scopes", "studies:read,reports:read", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("sgt_") and len(token) >= 4 + 43  # 256 bits in base64url
    with live_server(env) as (base, _):
        body = httpx.post(base + "/graphql", json={"query": "{ viewer { ... on ApiClient { name scopes institution { code } } } }"},
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert body["data"]["viewer"] == {"name": "PACS", "scopes": ["reports:read", "studies:read"],
                                          "institution": {"code": "AZX"}}
        bad = httpx.post(base + "/graphql", json={"query": "{ viewer { __typename } }"},
                         headers={"Authorization": "Bearer sgt_not_a_real_token"})
        assert bad.status_code == 401


def test_create_api_client_refuses_unknown_scope_and_institution(tmp_path):
    env = env_for(tmp_path)
    data = tmp_path / "data.json"
    data.write_text(json.dumps(FILE))
    run_cli("load-fixtures", str(data), env=env)
    bad_scope = run_cli("create-api-client", "--institution", "AZX", "--name", "x",
                        "--scopes", "studies:read,admin", env=env)
    assert bad_scope.returncode != 0 and "unknown: admin" in bad_scope.stderr
    bad_inst = run_cli("create-api-client", "--institution", "NOPE", "--name", "x",
                       "--scopes", "studies:read", env=env)
    assert bad_inst.returncode != 0 and "unknown institution NOPE" in bad_inst.stderr


def test_load_fixtures_names_the_entry_and_field_and_writes_nothing(tmp_path):
    env = env_for(tmp_path)
    bad = {**FILE, "studies": [{"institution": "AZX", "studyInstanceUid": "1.2.3",
                                "studyDate": "2026-13-45", "modalities": ["CT"],
                                "patient": {"name": "Doe^Jane", "birthDate": "1980-01-01"}}]}
    data = tmp_path / "bad.json"
    data.write_text(json.dumps(bad))
    result = run_cli("load-fixtures", str(data), env=env)
    assert result.returncode != 0
    assert "studies[0].studyDate" in result.stderr and "Traceback" not in result.stderr
    # Nothing was written: the same file without the bad study still loads (no duplicates).
    good = tmp_path / "good.json"
    good.write_text(json.dumps(FILE))
    assert run_cli("load-fixtures", str(good), env=env).returncode == 0


def test_load_fixtures_refuses_a_file_that_is_not_json(tmp_path):
    data = tmp_path / "broken.json"
    data.write_text("{ not json")
    result = run_cli("load-fixtures", str(data), env=env_for(tmp_path))
    assert result.returncode != 0 and "not valid JSON" in result.stderr
