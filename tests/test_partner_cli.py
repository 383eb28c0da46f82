"""P1 on the command line: `create-api-client` prints the token once (and the client's id
aside), `revoke-api-client` revokes by that id or by institution and name, at once."""

import json

import httpx

from tests.live import live_server, run_cli
from tests.test_cli import FILE, env_for

VIEWER = {"query": "{ viewer { ... on ApiClient { name } } }"}


def create(env, name):
    created = run_cli("create-api-client", "--institution", "AZX", "--name", name,
                      "--scopes", "studies:read", env=env)
    assert created.returncode == 0, created.stderr
    client_id = int(created.stderr.strip().rsplit(" ", 1)[-1])
    return created.stdout.strip(), client_id


def test_P1_revoke_api_client_by_id_or_by_name_ends_the_token_at_once(tmp_path):
    env = env_for(tmp_path, STUDYGATE_TEST_LOG_DIR=str(tmp_path))
    data = tmp_path / "data.json"
    data.write_text(json.dumps(FILE))
    assert run_cli("load-fixtures", str(data), env=env).returncode == 0
    kept, _ = create(env, "Kept PACS")
    by_id, client_id = create(env, "Old PACS")
    by_name, _ = create(env, "Dashboard")
    with live_server(env) as (base, _):
        def status(token):
            return httpx.post(base + "/graphql", json=VIEWER, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}).status_code

        assert [status(t) for t in (kept, by_id, by_name)] == [200, 200, 200]
        revoked = run_cli("revoke-api-client", "--id", str(client_id), env=env)
        assert revoked.returncode == 0 and "revoked 1 API client" in revoked.stdout
        revoked = run_cli("revoke-api-client", "--institution", "AZX", "--name", "Dashboard",
                          env=env)
        assert revoked.returncode == 0, revoked.stderr
        assert [status(t) for t in (kept, by_id, by_name)] == [200, 401, 401]


def test_P1_revoke_api_client_says_when_nothing_matches(tmp_path):
    env = env_for(tmp_path)
    data = tmp_path / "data.json"
    data.write_text(json.dumps(FILE))
    assert run_cli("load-fixtures", str(data), env=env).returncode == 0
    for args in (["--id", "999"], ["--institution", "AZX", "--name", "Nobody"]):
        result = run_cli("revoke-api-client", *args, env=env)
        assert result.returncode != 0 and "nothing revoked" in result.stderr
    unknown = run_cli("revoke-api-client", "--institution", "NOPE", "--name", "X", env=env)
    assert unknown.returncode != 0 and "unknown institution NOPE" in unknown.stderr
    bare = run_cli("revoke-api-client", env=env)
    assert bare.returncode != 0 and "--id" in bare.stderr
    assert "Traceback" not in unknown.stderr + bare.stderr
