"""The OpenAPI document: committed and generated agree, every route is in it, it validates,
and it is served with the interactive reference."""

from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

from onepizza.api.openapi import documented_routes, render, standalone_app

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_committed_document_matches_the_code():
    _, generated = render(standalone_app())
    assert COMMITTED.read_text() == generated, "openapi.yaml is stale: run `onepizza openapi`"


def test_every_route_is_documented():
    app = standalone_app()
    document, _ = render(app)
    routes = list(documented_routes(app))
    assert len(routes) > 40
    for method, path, _ in routes:
        assert method in document["paths"].get(path, {}), f"{method.upper()} {path}"


def test_document_validates_as_openapi_3_1():
    document = yaml.safe_load(COMMITTED.read_text())
    assert document["openapi"] == "3.1.0"
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    assert schemes["adminToken"]["name"] == "x-admin-token"
    assert schemes["session"]["in"] == "cookie"
    create = document["paths"]["/api/meetings"]["post"]
    assert {"201", "400", "401", "402", "429"} <= set(create["responses"])


async def test_served_documents_and_docs_page(client):
    resp = await client.get("/openapi.json")
    assert resp.status == 200
    served = await resp.json()
    assert served == yaml.safe_load(COMMITTED.read_text())
    resp = await client.get("/openapi.yaml")
    assert resp.status == 200 and resp.content_type == "application/yaml"
    assert yaml.safe_load(await resp.text()) == served

    resp = await client.get("/docs")
    page = await resp.text()
    assert resp.status == 200 and "/docs/assets/swagger-ui-bundle.js" in page
    assert "<script>" not in page  # no inline script: the CSP allows only 'self'
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/init.js",
    ):
        assert (await client.get(asset)).status == 200, asset
