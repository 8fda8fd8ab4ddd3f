"""The console function: index.html with a fresh CSP nonce and no caching, hashed assets cached for a year, and
nothing served from outside the build."""

import json

import pytest

from library_console import app

INDEX = (
    '<!doctype html><html><head><meta name="csp-nonce" content="__CSP_NONCE__">'
    '<script type="module" nonce="__CSP_NONCE__" src="./assets/index-abc123.js"></script></head></html>'
)


@pytest.fixture
def built(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('library')")
    (tmp_path / "secret.py").write_text("not an asset")
    monkeypatch.setattr(app, "STATIC", tmp_path)
    app._index_template.cache_clear()
    yield tmp_path
    app._index_template.cache_clear()


def get(resource, path, proxy=None, requested=None):
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "pathParameters": {"proxy": proxy} if proxy is not None else None,
        "requestContext": {"path": requested or path},
    }
    answer = app.lambda_handler(event, None)
    headers = {name: values[0] for name, values in answer["multiValueHeaders"].items()}
    return answer["statusCode"], headers, answer["body"]


def test_index_is_never_cached_and_has_a_strict_csp_with_a_fresh_nonce(built):
    status, headers, body = get("/", "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    csp = dict(directive.split(" ", 1) for directive in headers["Content-Security-Policy"].split("; "))
    assert csp["script-src"] == "'self'" and csp["connect-src"] == "'self'" and csp["default-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    nonce = csp["style-src"].split("'nonce-")[1].rstrip("'")
    assert "__CSP_NONCE__" not in body and body.count(f'"{nonce}"') == 2
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    second_nonce = get("/", "/")[1]["Content-Security-Policy"]
    assert second_nonce != headers["Content-Security-Policy"]


def test_hashed_assets_are_cached_for_a_year(built):
    status, headers, body = get("/assets/{proxy+}", "/assets/index-abc123.js", "index-abc123.js")
    assert status == 200 and body == "console.log('library')"
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("proxy", ["../secret.py", "../index.html", "missing.js", "", "%2e%2e/secret.py"])
def test_nothing_outside_the_assets_or_unknown_is_served(built, proxy):
    status, headers, body = get("/assets/{proxy+}", f"/assets/{proxy}", proxy)
    assert status == 404 and json.loads(body)["code"] == "ROUTE_NOT_FOUND"
    assert headers["Cache-Control"] == "no-store"


def test_the_stage_root_without_its_slash_is_redirected_so_relative_asset_urls_keep_the_stage(built):
    status, headers, _ = get("/", "/", requested="/dev")
    assert status == 308 and headers["Location"] == "/dev/"
    assert get("/", "/", requested="/dev/")[0] == 200


def test_the_bucket_origins_join_the_csp_where_storage_is_configured(built, monkeypatch):
    monkeypatch.setenv("COVERS_BUCKET", "library-covers")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    csp = get("/", "/")[1]["Content-Security-Policy"]
    assert "connect-src 'self' https://library-covers.s3.eu-west-1.amazonaws.com" in csp
    assert "img-src 'self' data: https://library-covers.s3.eu-west-1.amazonaws.com" in csp


def test_an_unbuilt_console_answers_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setattr(app, "STATIC", tmp_path)
    app._index_template.cache_clear()
    status, _, body = get("/", "/")
    app._index_template.cache_clear()
    assert status == 503 and "make console" in body and "Node.js 20" in body
