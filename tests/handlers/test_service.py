"""The service function invoked with events/service/*.json, as `sam local invoke` would."""

import json

from library_common import migrate
from library_service.app import lambda_handler
from tests.conftest import load_event


def test_health_reports_the_database_and_schema_version(database_url, lambda_context):
    response = lambda_handler(load_event("service/health.json"), lambda_context)
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body["data"] == {
        "database": "ok",
        "schema_version": migrate.SCHEMA_HEAD,
        "expected_schema_version": migrate.SCHEMA_HEAD,
    }


def test_openapi_document_is_served_as_json(database_url, lambda_context):
    response = lambda_handler(load_event("service/openapi.json"), lambda_context)
    document = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert document["openapi"].startswith("3.")
    assert "/health" in document["paths"]


def test_docs_page_bundles_swagger_ui_without_a_cdn(database_url, lambda_context):
    response = lambda_handler(load_event("service/docs.json"), lambda_context)
    assert response["statusCode"] == 200
    page = response["body"]
    assert "SwaggerUIBundle" in page
    assert "cdn" not in page.lower().split("<script>")[0]
    assert "https://" not in page.split("<style>")[0]
