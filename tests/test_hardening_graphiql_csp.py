"""S2/S4: GraphiQL works under the Content-Security-Policy every response carries: a real
`studygate serve` and headless Chromium, with every CSP violation the browser reports recorded."""

import httpx

from auth.transport import CONTENT_SECURITY_POLICY
from tests.live import live_server

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_S2_graphiql_runs_under_the_content_security_policy(chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    env = {"STUDYGATE_DEV": "1", "STUDYGATE_DATABASE_URL": f"sqlite://{tmp_path}/csp.db",
           "STUDYGATE_SECRET_KEY": "csp-browser-test-secret-key-0123456789abcd"}
    with live_server(env) as (base, _), sync_playwright() as p:
        page_headers = httpx.get(base + "/graphql", headers={"Accept": "text/html"}).headers
        assert page_headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        browser = p.chromium.launch(executable_path=chromium,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()
            console = []
            page.on("console", lambda m: console.append(m.text))
            page.add_init_script(RECORD_VIOLATIONS)
            page.goto(base + "/graphql", wait_until="networkidle")
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            editor.wait_for(timeout=20_000)
            page.evaluate(
                "() => document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.setValue('{ currentEnvironment { code } }')")
            page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response .CodeMirror")
            result.get_by_text('"BE"').wait_for(timeout=20_000)
            violations = page.evaluate("() => window.__cspViolations")
            assert violations == [], violations
            assert not [m for m in console if "Content Security Policy" in m], console
        finally:
            browser.close()
