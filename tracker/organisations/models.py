"""Organisations: the cities, districts, ministries and companies the team works with."""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.model import Record
from tracker.extensions import Model

#: The allowed values as a type (the API's schema takes it); the tuple follows from it.
OrganisationKind = Literal[
    "city",
    "district",
    "ministry",
    "agency",
    "company",
    "university",
    "association",
    "other",
]
ORGANISATION_KINDS: tuple[str, ...] = get_args(OrganisationKind)
#: The languages the tracker speaks, to users and to partner organisations alike.
Locale = Literal["de", "en"]
LOCALES: tuple[str, ...] = get_args(Locale)


class Organisation(Record, Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"kind IN {ORGANISATION_KINDS!r}", name="kind"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint(f"locale IN {LOCALES!r}", name="locale"),
        Index(
            "uq_organisations_one_home",
            "home",
            unique=True,
            sqlite_where=text("home"),
            postgresql_where=text("home"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    #: ISO 3166-1 alpha-2, e.g. "DE", "FI".
    country: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(default=True)
    #: The team's own organisation (Rostock in the demo): it never counts as a shared
    #: partner, because it takes part in nearly everything. At most one is marked.
    home: Mapped[bool] = mapped_column(default=False)
    #: Language of what the tracker sends or shows this organisation ("de" or "en").
    locale: Mapped[str] = mapped_column(String(5), default="de")

    @property
    def label(self) -> str:
        return self.short_name or self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
