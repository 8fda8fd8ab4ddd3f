"""`make sam-local` sends every file in events/ to a function found from the template alone, so that a new
function's events are swept without a list to keep; and it compares answers less what differs by nature."""

from __future__ import annotations

import json

from devtools import template
from devtools.sam_local import check
from devtools.sam_local.comparison import differences, normalised


def test_every_event_goes_to_the_function_serving_its_route_or_trigger():
    api = template.load()
    routed = {(route.method, route.path): route.function for route in api.routes}
    sweep = check.events_by_function()
    assert len(sweep) == len(list(check.EVENTS.glob("*/*.json")))
    for function, path in sweep:
        event = json.loads(path.read_text())
        if "httpMethod" in event and (event["httpMethod"], event["resource"]) in routed:
            assert function == routed[(event["httpMethod"], event["resource"])], path
        else:
            assert api.functions[function].code_dir.name == path.parent.name, path
    by_file = {path.relative_to(check.EVENTS).as_posix(): function for function, path in sweep}
    # Two functions share functions/books: the API one and the one S3's EventBridge events trigger.
    assert by_file["books/list_books.json"] == "BooksFunction"
    assert by_file["books/cover_uploaded.json"] == "BookUploadsFunction"
    assert by_file["authorizer/token.json"] == "AuthorizerFunction"


def test_answers_are_compared_without_ids_or_clocks_but_with_everything_else():
    local = {"status": 201, "data": {"id": 7, "title": "Dune", "due_date": "2026-12-16", "created_on": "x"}}
    same = {"status": 201, "data": {"id": 9, "title": "Dune", "due_date": "2026-12-17", "created_on": "y"}}
    other = {"status": 201, "data": {"id": 7, "title": "Emma", "due_date": "2026-12-16", "created_on": "x"}}
    assert differences(normalised(local), normalised(same)) == []
    assert differences(normalised(local), normalised(other)) == [".data.title: local 'Dune' != SAM 'Emma'"]
