"""The OpenAPI 3.1 document, written from the operations and their pydantic models."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.http import HTTP_STATUS_CODES

from tracker.api import bp, schemas
from tracker.api.problems import PROBLEM_MEDIA_TYPE
from tracker.api.routing import OPERATIONS, Operation
from tracker.core.limits import MAX_ID

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

DESCRIPTION = """\
The follow-up tracker's JSON API: exchanges, what was agreed at them, and the tasks that
follow. Authenticate with `Authorization: Bearer <personal API token>` (make one on your
account page or with `flask users api-token EMAIL`). Send bodies as
`Content-Type: application/json` (anything else gets 415). Dates are `YYYY-MM-DD` and
nothing else, times ISO 8601 with an offset. Errors are RFC 9457 problem details. Every
record has `id`, `created_at`, `updated_at` and `version`; a PATCH must send the `version`
it read and gets 409 if someone changed the record meanwhile. Lists answer
`{"items": [...], "next": cursor-or-null}`; pass `next` back as `cursor` for the following
page.
"""


def _query_parameter_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is present or absent, never null: drop the null branch."""
    schema = copy.deepcopy(schema)
    options = schema.get("anyOf")
    if options:
        kept = [s for s in options if s != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema = {**kept[0], **schema}
    if schema.get("default", ...) is None:
        del schema["default"]
    schema.pop("title", None)
    return schema


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for name in op.path_params
    ]
    if op.query is not None:
        full = op.query.model_json_schema(ref_template=REF)
        required = set(full.get("required", ()))
        for name, prop in full["properties"].items():
            schema = _query_parameter_schema(prop)
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "description" in schema:
                param["description"] = schema.pop("description")
            params.append(param)
    return params


#: Answered by the HTTP server in front (werkzeug, gunicorn) before the app sees the request.
URI_TOO_LONG = {
    "description": "URI Too Long: the request line is longer than the server takes; "
    "the HTTP server answers this itself, as text/html.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _problem(status: int) -> dict[str, Any]:
    if status == 414:
        return copy.deepcopy(URI_TOO_LONG)
    response: dict[str, Any] = {
        "description": HTTP_STATUS_CODES.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"required": True, "schema": {"type": "string"}}
        }
    return response


@functools.cache
def document() -> dict[str, Any]:
    """Built once per process: the operations do not change while the app runs."""
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (schemas.Problem, "serialization")
    ]
    for op in OPERATIONS:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.answer is not None:
            models.append((op.answer, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)

    components = defs.get("$defs", {})
    for name, schema in components.items():
        if name.endswith("Patch"):
            # In a PATCH an absent field stays as it is; the create defaults do not apply.
            for prop in schema.get("properties", {}).values():
                prop.pop("default", None)

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = _PATH_PARAM.sub(r"{\1}", (bp.url_prefix or "") + op.rule)
        item: dict[str, Any] = {
            "operationId": op.endpoint,
            "tags": [op.tag],
            "summary": op.summary,
            "responses": {},
        }
        if op.description:
            item["description"] = op.description
        if op.public:
            item["security"] = []
        params = _parameters(op)
        if params:
            item["parameters"] = params
        if op.body is not None:
            item["requestBody"] = {
                "required": op.body_required,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        ok: dict[str, Any] = {"description": HTTP_STATUS_CODES[op.status]}
        if op.answer is not None:
            ok["content"] = {"application/json": {"schema": refs[(op.answer, "serialization")]}}
        elif op.media_type != "application/json" or op.status != 204:
            ok["content"] = {op.media_type: {"schema": {"type": "object"}}}
            if op.media_type == "text/html":
                ok["content"] = {"text/html": {"schema": {"type": "string"}}}
        item["responses"][str(op.status)] = ok
        for status in op.errors:
            item["responses"][str(status)] = _problem(status)
        paths.setdefault(path, {})[op.method.lower()] = item

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Follow-up tracker API",
            "version": "1",
            "description": DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token, e.g. trk_…",
                }
            },
        },
        "security": [{"bearer": []}],
        "tags": [
            {"name": "tasks", "description": "Follow-ups: who does what by when."},
            {"name": "exchanges", "description": "Exchanges and what was agreed at them."},
            {"name": "series", "description": "Series of meetings, each meeting an exchange."},
            {"name": "people", "description": "People and users."},
            {"name": "organisations", "description": "Cities, ministries, companies …"},
            {"name": "search", "description": "Search across everything."},
            {"name": "description", "description": "This description."},
        ],
    }


# ---------------------------------------------------------------- the readable page


def _type_label(schema: dict[str, Any]) -> str:
    """A short human reading of a JSON Schema: "integer or null", "list of integer" …"""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type_label(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + _type_label(schema.get("items", {}))
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    if "pattern" in schema:
        return f"{kind} matching {schema['pattern']}"
    return str(kind)


def _limits(schema: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("maxLength", "at most {} characters"),
        ("maxItems", "at most {} items"),
    ):
        if key in schema:
            parts.append(label.format(schema[key]) if "{}" in label else f"{label} {schema[key]}")
    for option in schema.get("anyOf", ()):
        parts.append(_limits(option))
    return " ".join(p for p in parts if p)


def _fields(schema: dict[str, Any]) -> list[dict[str, str]]:
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        default = prop.get("default", "")
        rows.append(
            {
                "name": name,
                "type": _type_label(prop),
                "required": "yes" if name in required else "",
                "default": "" if default in ("", None) else str(default),
                "notes": " ".join(
                    p for p in (prop.get("description", ""), _limits(prop)) if p
                ),
            }
        )
    return rows


def readable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document reshaped for the docs template: operations, then each schema's fields."""
    operations = []
    for path, methods in doc["paths"].items():
        for method, item in methods.items():
            body = item.get("requestBody", {}).get("content", {}).get("application/json", {})
            answers = []
            for status, response in item["responses"].items():
                content: dict[str, dict[str, Any]] = response.get("content", {})
                schema = next(iter(content.values()), {}).get("schema", {})
                answers.append(
                    {
                        "status": status,
                        "description": response["description"],
                        "schema": _type_label(schema) if schema else "",
                    }
                )
            operations.append(
                {
                    "id": item["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": item["summary"],
                    "description": item.get("description", ""),
                    "public": item.get("security") == [],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": _type_label(p["schema"]),
                            "required": "yes" if p.get("required") else "",
                            "notes": " ".join(
                                x
                                for x in (
                                    p.get("description", ""),
                                    _limits(p["schema"]),
                                    f"default {p['schema']['default']}"
                                    if "default" in p["schema"]
                                    else "",
                                )
                                if x
                            ),
                        }
                        for p in item.get("parameters", ())
                    ],
                    "body": _type_label(body["schema"]) if body else "",
                    "answers": answers,
                }
            )
    models = [
        {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
        for name, schema in sorted(doc["components"]["schemas"].items())
    ]
    return {
        "title": doc["info"]["title"],
        "description": doc["info"]["description"],
        "operations": operations,
        "models": models,
    }
