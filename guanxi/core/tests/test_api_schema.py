"""The OpenAPI schema generates cleanly and its interactive docs are served locally."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from guanxi.core.api.testing import client_for

pytestmark = pytest.mark.django_db


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert "/api/v1/accounts/{id}/merge/:" in text
    assert "/api/v1/search/:" in text


def test_schema_endpoint_serves_openapi_3(org):
    response = client_for(None).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]


def test_docs_page_loads_swagger_ui_from_our_own_static_files(org):
    response = client_for(org.east_rep).get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "//unpkg" not in html and "jsdelivr" not in html
