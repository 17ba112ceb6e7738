"""The OpenAPI document describes every oversight endpoint and body."""
from __future__ import annotations


def test_openapi_lists_oversight_paths(api):
    doc = api.get("/api/v1/openapi.json").json
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/cylinders"])
    for path in ("/api/v1/cylinders/{code}/epcis", "/api/v1/cylinders/{code}/seize",
                 "/api/v1/cylinders/{code}/hand-over", "/api/v1/cylinders/{code}/scrap",
                 "/api/v1/cylinders/{code}/cancel-registration",
                 "/api/v1/cylinders/{code}/inspections",
                 "/api/v1/cylinders/{code}/safety-assessments", "/api/v1/blacklist",
                 "/api/v1/blacklist/{entry_id}/lift", "/api/v1/flags/dashboard",
                 "/api/v1/public-reports", "/api/v1/public-reports/{report_id}/close",
                 "/api/v1/reports/monthly"):
        assert path in paths, path
    seize = paths["/api/v1/cylinders/{code}/seize"]["post"]
    assert "requestBody" in seize and "201" in seize["responses"]
    schemas = doc["components"]["schemas"]
    for name in ("SearchPageOut", "SeizureStepIn", "BlacklistIn", "MonthlyReportOut",
                 "EpcisDocumentOut"):
        assert name in schemas, name
    monthly = paths["/api/v1/reports/monthly"]["get"]["responses"]["200"]["content"]
    assert "application/json" in monthly
