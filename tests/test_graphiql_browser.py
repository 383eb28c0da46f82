"""S4: GraphiQL works with the network cut: every asset comes from the server itself.

Headless Chromium (Debian's package) loads /graphql from a real `studygate serve`; every request
that leaves 127.0.0.1 is aborted and recorded, and the test fails if there was one.
"""

from tests.live import live_server


def test_S4_graphiql_runs_a_query_with_only_local_assets(chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    env = {"STUDYGATE_DEV": "1", "STUDYGATE_DATABASE_URL": f"sqlite://{tmp_path}/demo.db",
           "STUDYGATE_SECRET_KEY": "browser-test-secret-key-0123456789abcdef"}
    with live_server(env) as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--proxy-server=127.0.0.1:9",
                  "--proxy-bypass-list=127.0.0.1"],
        )
        try:
            page = browser.new_page()
            outside, local = [], []

            def cut(route):
                url = route.request.url
                if url.startswith(base):
                    local.append(url)
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", cut)
            page.goto(base + "/graphql", wait_until="networkidle")
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            editor.wait_for(timeout=20_000)
            page.evaluate(
                "() => document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.setValue('{ currentEnvironment { code } }')"
            )
            page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response .CodeMirror")
            result.get_by_text('"BE"').wait_for(timeout=20_000)
            assert '"code": "BE"' in result.inner_text()
            assert outside == [], f"GraphiQL reached outside the server: {outside}"
            assert any(u.endswith("/static/graphiql/graphiql.min.js") for u in local)
        finally:
            browser.close()
