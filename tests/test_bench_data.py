"""The benchmark data set loads on every database (here at a small size) in its shape."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.data import HISTORY_DAYS, SIZES, seed_large
from tracker.core.audit import AuditEntry
from tracker.extensions import db
from tracker.models import Exchange, Organisation, Person, Series, Task
from tracker.partners.models import PartnerLink
from tracker.partners.services import find_link


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_seed_large_fills_an_empty_database(ctx):
    info = seed_large(n_exchanges=20, n_tasks=200, n_meetings=8, n_series=2, n_people=30,
                      n_organisations=12, n_users=6)
    assert count(Task) == 200
    assert count(Exchange) == 20
    assert count(Exchange, Exchange.series_id.is_not(None)) == 8
    assert count(Series) == 2
    assert count(Person) == 30
    assert count(Person, Person.password_hash.is_not(None), Person.role.is_not(None)) == 6
    assert count(Organisation) == 12
    assert info["meetings"] == 8 and info["users"] == 6


def test_every_record_has_its_history_over_a_year(ctx):
    seed_large(n_exchanges=20, n_tasks=200)
    created = count(AuditEntry, AuditEntry.action == "create", AuditEntry.entity_type == "tasks")
    assert created == 200
    done = count(Task, Task.status == "done")
    assert count(AuditEntry, AuditEntry.action == "complete") == done > 0
    assert count(AuditEntry, AuditEntry.action == "cancel") == count(
        Task, Task.status == "cancelled")
    assert count(AuditEntry, AuditEntry.entity_type == "exchanges") == 20
    oldest, newest = db.session.execute(
        select(func.min(AuditEntry.at), func.max(AuditEntry.at))).one()
    span = newest.replace(tzinfo=UTC) - oldest.replace(tzinfo=UTC)
    assert span > timedelta(days=HISTORY_DAYS - 30)
    assert newest.replace(tzinfo=UTC) <= datetime.now(UTC)
    # The trail is in the order it was written: ids rise with time.
    ats = db.session.scalars(select(AuditEntry.at).order_by(AuditEntry.id)).all()
    assert ats == sorted(ats)


def test_the_partner_link_opens_its_page(ctx):
    info = seed_large(n_exchanges=20, n_tasks=200)
    link = db.session.scalar(select(PartnerLink))
    assert link is not None and link.organisation_id == info["partner_organisation"]
    assert find_link(info["partner_path"].rsplit("/", 1)[-1]) == link


def test_the_named_sizes_are_the_issues():
    assert SIZES["50k"] == {"n_exchanges": 5000, "n_tasks": 50_000, "n_meetings": 2000,
                            "n_series": 500, "n_people": 300, "n_organisations": 200,
                            "n_users": 50}
    assert SIZES["10k"]["n_tasks"] == 10_000
