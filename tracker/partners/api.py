"""The API's partner links: list, make (the answer carries the link, once), revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import Field

from tracker.api.auth import current_actor
from tracker.api.routing import operation
from tracker.api.schemas import Answer
from tracker.core.database import transaction
from tracker.core.errors import NotFound
from tracker.core.limits import is_id
from tracker.core.permissions import can_edit, require
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.partners import services
from tracker.partners.models import PartnerLink


class PartnerLinkOut(Answer):
    id: int
    expires_at: datetime
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class PartnerLinkCreated(PartnerLinkOut):
    url: str = Field(description="The link to give the partner; shown only in this answer.")


class PartnerLinkList(Answer):
    items: list[PartnerLinkOut]


def _show(link: PartnerLink) -> dict[str, Any]:
    values = {name: getattr(link, name) for name in PartnerLinkOut.model_fields}
    return PartnerLinkOut.model_validate(values).model_dump(mode="json")


def _organisation(organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id) if is_id(organisation_id) else None
    if org is None:
        raise NotFound(f"there is no organisation {organisation_id}")
    return org


@operation(
    "/organisations/<int:organisation_id>/partner-links", "GET", tag="organisations",
    answer=PartnerLinkList, errors=(403,),
)
def list_partner_links(organisation_id: int) -> ResponseReturnValue:
    """An organisation's partner links, newest first, revoked and expired ones too (editors)."""
    require(can_edit(current_actor()))
    org = _organisation(organisation_id)
    return jsonify({"items": [_show(link) for link in services.links_of(org.id)]})


@operation(
    "/organisations/<int:organisation_id>/partner-links", "POST", tag="organisations",
    answer=PartnerLinkCreated, status=201, errors=(403,),
)
def create_partner_link_view(organisation_id: int) -> ResponseReturnValue:
    """Make a partner link (editors): valid 180 days; `url` is in this answer only."""
    with transaction():
        link = services.create_link(_organisation(organisation_id), current_actor())
    response = jsonify({**_show(link), "url": services.page_url(link)})
    response.status_code = 201
    return response


@operation(
    "/organisations/<int:organisation_id>/partner-links/<int:link_id>", "DELETE",
    tag="organisations", status=204, errors=(403,),
)
def revoke_partner_link_view(organisation_id: int, link_id: int) -> ResponseReturnValue:
    """Revoke a partner link (editors): it and its calendar feed answer 404 from now on."""
    actor = current_actor()
    with transaction():
        require(can_edit(actor))
        services.revoke_link(services.link_of(_organisation(organisation_id).id, link_id), actor)
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response
