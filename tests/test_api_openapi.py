"""The OpenAPI 3.1 document and the readable docs page."""

from __future__ import annotations

import json
import re

import jsonschema_rs

CONTRACT = {
    "/api/v1/openapi.json": {"get"},
    "/api/v1/me": {"get"},
    "/api/v1/organisations": {"get", "post"},
    "/api/v1/people": {"get", "post"},
    "/api/v1/exchanges": {"get", "post"},
    "/api/v1/exchanges/{exchange_id}": {"get", "patch", "delete"},
    "/api/v1/exchanges/{exchange_id}/outcomes": {"get", "post"},
    "/api/v1/tasks": {"get", "post"},
    "/api/v1/tasks/{task_id}": {"get", "patch", "delete"},
    "/api/v1/tasks/{task_id}/complete": {"post"},
    "/api/v1/tasks/{task_id}/reopen": {"post"},
}


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_describes_every_route_of_the_contract(client):
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    for path, methods in CONTRACT.items():
        assert methods <= set(doc["paths"][path]), path
    task_query = {p["name"] for p in doc["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert {"status", "owner_id", "organisation_id", "exchange_id", "due_before", "due_after",
            "overdue", "q", "limit", "cursor"} <= task_query
    schemas = doc["components"]["schemas"]
    assert set(schemas["TaskOut"]["required"]) >= {
        "id", "title", "description", "exchange_id", "outcome_id", "owner_id",
        "organisation_id", "due_date", "due_time", "status", "completed_at", "completed_by_id",
        "created_at", "updated_at", "version"}
    assert "version" in schemas["TaskPatch"]["required"]
    assert "version" in schemas["ExchangePatch"]["required"]
    assert schemas["TaskCreate"]["additionalProperties"] is False
    assert schemas["ExchangeCreate"]["properties"]["kind"]["default"] == "other"
    assert "default" not in schemas["ExchangePatch"]["properties"]["kind"]  # absent: unchanged


def test_every_reference_resolves_and_every_schema_compiles(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for ref in _refs(doc):
        name = ref.removeprefix("#/components/schemas/")
        assert name in doc["components"]["schemas"], ref
    for schema in doc["components"]["schemas"].values():
        resolvable = {**schema, "components": doc["components"]}
        jsonschema_rs.validator_for(json.loads(json.dumps(resolvable)))  # raises if invalid


def test_every_operation_documents_its_errors_as_problem_json(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            public = op.get("security") == []
            responses = op["responses"]
            if not public:
                assert "401" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            # Too long a body or request line can reach any operation.
            assert {"413", "414"} <= set(responses), (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= set(responses), (method, path)
            if method == "patch":
                assert "409" in responses, (method, path)
            for status, answer in responses.items():
                if status == "414":  # the HTTP server's own page, before the app sees it
                    assert set(answer["content"]) == {"text/html"}
                elif status.startswith("4"):
                    assert "application/problem+json" in answer["content"]


def test_text_that_must_say_something_is_described_as_not_empty(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    must_say_something = {
        "TaskCreate": "title", "TaskPatch": "title", "ExchangeCreate": "title",
        "ExchangePatch": "title", "OutcomeCreate": "text", "OrganisationCreate": "name",
        "PersonCreate": "name",
    }
    for model, name in must_say_something.items():
        field = schemas[model]["properties"][name]
        assert field["minLength"] == 1 and field["pattern"] == r"\S", (model, field)
    # Free text may stay empty.
    assert "minLength" not in schemas["TaskCreate"]["properties"]["description"]


def test_every_date_is_described_as_a_date(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    task_query = {p["name"]: p for p in doc["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    for name in ("due_before", "due_after"):
        assert task_query[name]["schema"]["format"] == "date"
    schemas = doc["components"]["schemas"]
    for model, name in (("TaskCreate", "due_date"), ("ExchangeCreate", "start_date"),
                        ("ExchangeCreate", "end_date")):
        (day,) = [s for s in schemas[model]["properties"][name]["anyOf"] if s["type"] == "string"]
        assert day["format"] == "date", (model, name)


def test_the_document_matches_what_the_api_answers(make, client):
    from tests.api_support import api_as

    api = api_as(make, client, "editor")
    doc = client.get("/api/v1/openapi.json").get_json()
    components = doc["components"]
    task = make.task(due_date=None)
    answers = {
        "TaskOut": api.get(f"/tasks/{task.id}").get_json(),
        "TaskPage": api.get("/tasks").get_json(),
        "MeOut": api.get("/me").get_json(),
        "ExchangePage": api.get("/exchanges").get_json(),
        "Problem": api.get("/tasks/999999").get_json(),
    }
    for name, body in answers.items():
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        validator = jsonschema_rs.validator_for(schema, validate_formats=True)
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (name, errors)


def test_the_docs_page_is_readable_html_without_scripts_or_cdns(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in CONTRACT:
        assert path in page
    assert "TaskCreate" in page and "owner_id" in page
    # Only the app's own script file, never an inline script.
    scripts = re.findall(r"<script[^>]*>", page.lower())
    assert scripts in ([], ['<script src="/static/app.js" defer>'])
    assert "<style" not in page.lower() and not re.search(r"\sstyle=", page)
    assert not re.search(r"(src|href)=\"https?://", page)
