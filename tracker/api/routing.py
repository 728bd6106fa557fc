"""One decorator declares an API operation: its URL rule, its schemas and its errors.

From that declaration the route is registered, the body and query are validated with the
pydantic models, and the OpenAPI document (openapi.py) is written: one source for all three.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from tracker.api import bp
from tracker.api.problems import ApiProblem, InvalidFields


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    endpoint: str
    tag: str
    summary: str
    description: str
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False
    media_type: str = "application/json"
    path_params: tuple[str, ...] = field(default=())


#: An API view: path parameters, `body` and `query` in, an answer out.
View = Callable[..., ResponseReturnValue]

OPERATIONS: list[Operation] = []
PUBLIC_ENDPOINTS: set[str] = set()


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "body"
        errors.append({"field": loc, "message": error["msg"]})
    return errors


def has_body() -> bool:
    """Whether the request carries a body: a length above zero, or chunked (no length)."""
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def require_json_body() -> None:
    """A body must say it is JSON (application/json or application/*+json), or 415.

    A browser sends text/plain or a form to another site without asking first; refusing
    every other type means such a cross-site post never reaches a view.
    """
    if has_body() and not request.is_json:
        raise ApiProblem(
            415, "send the body as JSON, with the header Content-Type: application/json"
        )


def parse_body(model: type[BaseModel], required: bool) -> BaseModel:
    """The JSON body as `model`: 400 if it is not JSON at all, 422 naming each bad field."""
    raw = request.get_data(cache=True)  # 413 when longer than request.max_content_length
    if not raw.strip(b" \t\r\n"):  # JSON whitespace only; a stray \x0b is not JSON
        if not required:
            return model()
        raise ApiProblem(400, "this request needs a JSON object as its body")
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        kinds = {e["type"] for e in exc.errors(include_url=False)}
        if "json_invalid" in kinds:
            raise ApiProblem(400, "the body is not well-formed JSON (UTF-8)") from None
        if "model_type" in kinds:
            raise ApiProblem(400, "the body must be a JSON object") from None
        raise InvalidFields(_field_errors(exc)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model`; each parameter at most once, unknown ones refused."""
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            raise InvalidFields([{"field": name, "message": "may be given only once"}])
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise InvalidFields(_field_errors(exc)) from None


def operation(
    rule: str,
    method: str,
    *,
    tag: str,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    answer: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    public: bool = False,
    media_type: str = "application/json",
) -> Callable[[View], View]:
    """Register `view` for `method rule` and describe it for the OpenAPI document.

    The view receives the path parameters, plus `body` and `query` as validated models.
    """

    def decorator(view: View) -> View:
        doc = inspect.getdoc(view) or view.__name__
        summary, _, description = doc.partition("\n")
        path_params = tuple(
            part.split(":")[-1].rstrip(">") for part in rule.split("/") if part.startswith("<")
        )
        # 413 and 414: a body or a request line longer than the server takes.
        errs = set(errors) | {413, 414}
        if not public:
            errs.add(401)
        if body is not None:
            errs |= {400, 415, 422}
        if query is not None:
            errs.add(422)
        if path_params:
            errs.add(404)
        op = Operation(
            rule=rule,
            method=method,
            endpoint=view.__name__,
            tag=tag,
            summary=summary.strip(),
            description=description.strip(),
            body=body,
            body_required=body_required,
            query=query,
            answer=answer,
            status=status,
            errors=tuple(sorted(errs)),
            public=public,
            media_type=media_type,
            path_params=path_params,
        )

        @functools.wraps(view)
        def handler(**kwargs: Any) -> ResponseReturnValue:
            require_json_body()
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body, body_required)
            return view(**kwargs)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[method])
        OPERATIONS.append(op)
        if public:
            PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
        return handler

    return decorator
