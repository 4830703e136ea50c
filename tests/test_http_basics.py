"""What every answer carries, and the API documentation page that must work on a closed network."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def embedded_client(embedded_runtime):
    from fastapi.testclient import TestClient

    from api.app import create_app

    return TestClient(create_app(embedded_runtime.settings, embedded_runtime))


def test_security_headers_on_every_answer(embedded_client):
    for path in ("/api/v1/health", "/docs", "/api/v1/records/nope", "/openapi.json"):
        headers = embedded_client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"


def test_docs_page_uses_only_local_assets_and_no_inline_script(embedded_client):
    page = embedded_client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"<script>(?!\s*</script>)", page.text), "inline script would be blocked by the CSP"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/") for a in assets)
    for asset in assets:
        assert embedded_client.get(asset).status_code == 200, asset
    spec = embedded_client.get("/openapi.json").json()
    assert "/api/v1/records" in spec["paths"] and "/api/v1/search" in spec["paths"]


def test_errors_are_json_with_detail(embedded_client):
    missing = embedded_client.get("/api/v1/records/nope")
    assert missing.status_code == 401 and missing.json() == {"detail": "missing bearer token"}
    assert missing.headers["www-authenticate"] == "Bearer"
