"""A member's first visit, as HTTP requests to an API base URL: register, activation by the admin, login, list and
search the catalogue, borrow, return, a 401 without a token and a 404 route. Returns every answer in order."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

MEMBER = {"name": "Sam Local", "email": "sam.local@example.org", "password": "Flow-password-1"}


def _request(base_url: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http to our own API on 127.0.0.1
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, {"<not json>": raw[:200].decode(errors="replace")}


def run(base_url: str, admin_email: str, admin_password: str) -> list[tuple[str, int, Any]]:
    answers: list[tuple[str, int, Any]] = []

    def step(name: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, document = _request(base_url, method, path, body, token)
        answers.append((name, status, document))
        return document.get("data") if isinstance(document, dict) else None

    step("register", "POST", "/auth", MEMBER)
    admin = step("admin login", "POST", "/auth/login", {"email": admin_email, "password": admin_password}) or {}
    listed = step("find the member", "GET", "/users?search=sam.local", token=admin.get("token")) or {}
    member_id = next((user["id"] for user in listed.get("items", [])), 0)
    step("activate", "PATCH", f"/users/{member_id}", {"is_active": True}, admin.get("token"))
    member = step("login", "POST", "/auth/login", {"email": MEMBER["email"], "password": MEMBER["password"]}) or {}
    token = member.get("token")
    step("list books", "GET", "/books?page_size=5&ordering=title", token=token)
    found = step("search books", "GET", "/books?search=dune", token=token) or {}
    book_id = next((book["id"] for book in found.get("items", [])), 0)
    loan = step("borrow", "POST", "/loans", {"book_id": book_id}, token) or {}
    step("return", "POST", f"/loans/{loan.get('id', 0)}/return", token=token)
    step("no token", "GET", "/loans")
    step("no such route", "GET", "/no-such-route", token=token)
    return answers
