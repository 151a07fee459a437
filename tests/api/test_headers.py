"""Security headers on every response, HSTS in production, and CORS from ALLOWED_ORIGINS."""

from onepizza.app import create_app

ALLOWED = "http://localhost:3000"


async def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/health", "/missing"):
        resp = await client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in resp.headers  # not in development


async def test_hsts_in_production(aiohttp_client, make_settings):
    settings = make_settings(
        {"NODE_ENV": "production", "ADMIN_EMAIL": "a@example.com", "ADMIN_PASSWORD": "p" * 12}
    )
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/health/liveness")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


async def test_cors_for_allowed_origin(client):
    resp = await client.get("/health/liveness", headers={"Origin": ALLOWED})
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in resp.headers.getall("Vary")


async def test_no_cors_for_other_origins(client):
    resp = await client.get("/health/liveness", headers={"Origin": "https://evil.example"})
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_preflight(client):
    resp = await client.options(
        "/api/meetings",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-api-key",
        },
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "x-api-key" in resp.headers["Access-Control-Allow-Headers"]
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]

    resp = await client.options(
        "/api/meetings",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_configured_origins(aiohttp_client, make_settings):
    settings = make_settings({"ALLOWED_ORIGINS": "https://app.example,https://other.example"})
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/health/liveness", headers={"Origin": "https://other.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://other.example"
    resp = await client.get("/health/liveness", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in resp.headers
