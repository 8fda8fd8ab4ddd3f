"""GET / and GET /assets/{proxy+}: the web console, from the same origin as the API (no CORS, no CDN).

`index.html` is never cached and carries a per-request CSP nonce (for the stylesheets the UI library inserts at
run time); the hashed assets are immutable and cached for a year. The files come from `static/`, which
`make console` builds (Vite) and `sam build` copies into this function (see the Makefile beside this package).
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from library_common.envelope import error_body

STATIC = Path(__file__).with_name("static")
NONCE_PLACEHOLDER = "__CSP_NONCE__"
# Only what Vite emits: text files, so API Gateway needs no binary media types for them.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
HASHED_ASSET_CACHE = "public, max-age=31536000, immutable"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
NOT_BUILT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Library console not built</title></head><body><h1>The library console is not built</h1>
<p>The API works (see <a href="docs">docs</a>). To get the console, install Node.js 20 with npm and run
<code>make console</code>, or <code>make run</code> again.</p></body></html>
"""


def _bucket_origins() -> list[str]:
    """Where the browser uploads covers and imports to (pre-signed S3 forms) and reads covers from."""
    region = os.environ.get("AWS_REGION", "us-east-1")
    origins = []
    for variable in ("COVERS_BUCKET", "IMPORTS_BUCKET"):
        bucket = os.environ.get(variable)
        if bucket:
            origins += [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]
    return origins


def content_security_policy(nonce: str) -> str:
    """Scripts from this origin only, never inline; styles from this origin or carrying this response's nonce."""
    buckets = " ".join(_bucket_origins())
    directives = [
        "default-src 'none'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{nonce}'",
        f"img-src 'self' data: {buckets}".rstrip(),
        "font-src 'self'",
        f"connect-src 'self' {buckets}".rstrip(),
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


@lru_cache(maxsize=1)
def _index_template() -> str | None:
    index = STATIC / "index.html"
    return index.read_text() if index.is_file() else None


def _answer(status: int, content_type: str, body: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "multiValueHeaders": {name: [value] for name, value in {"Content-Type": content_type, **headers}.items()},
        "body": body,
        "isBase64Encoded": False,
    }


def _not_found() -> dict[str, Any]:
    body = json.dumps(error_body(404, "ROUTE_NOT_FOUND", "No such file"))
    return _answer(404, "application/json", body, {"Cache-Control": "no-store", **SECURITY_HEADERS})


def index(event: dict[str, Any]) -> dict[str, Any]:
    requested = (event.get("requestContext") or {}).get("path") or event.get("path") or "/"
    if not requested.endswith("/"):
        # https://{id}.execute-api.../dev must become .../dev/, or the page's relative asset URLs miss the stage.
        return _answer(308, "text/plain", "", {"Location": requested + "/", "Cache-Control": "no-store"})
    template = _index_template()
    if template is None:
        return _answer(503, "text/html; charset=utf-8", NOT_BUILT_PAGE, {"Cache-Control": "no-store"})
    nonce = secrets.token_urlsafe(18)
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": content_security_policy(nonce)}
    return _answer(
        200, "text/html; charset=utf-8", template.replace(NONCE_PLACEHOLDER, nonce), {**headers, **SECURITY_HEADERS}
    )


def asset(relative: str) -> dict[str, Any]:
    assets = (STATIC / "assets").resolve()
    target = (assets / relative).resolve()
    content_type = CONTENT_TYPES.get(target.suffix)
    if content_type is None or not target.is_relative_to(assets) or not target.is_file():
        return _not_found()
    return _answer(200, content_type, target.read_text(), {"Cache-Control": HASHED_ASSET_CACHE, **SECURITY_HEADERS})


def lambda_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    if event.get("resource") == "/":
        return index(event)
    return asset((event.get("pathParameters") or {}).get("proxy") or "")
