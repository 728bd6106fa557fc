"""The demo data set: the Rostock Smart City team's exchanges and what was agreed there.

Drawn from the team's own record (shared/seed/rostock-exchanges.txt). Past exchanges keep
their day and month and move by whole years so that the latest lies a few weeks back;
follow-ups are due relative to today, so some are done, some open and some overdue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from tracker.accounts.models import Person
from tracker.accounts.services import create_person
from tracker.core.audit import AuditEntry, jsonable
from tracker.core.progress import Progress
from tracker.core.timeutil import from_local, today
from tracker.exchanges.models import Exchange, Outcome
from tracker.exchanges.services import create_exchange, plan_exchange_from_task, record_outcome
from tracker.extensions import db
from tracker.organisations.services import create_organisation
from tracker.series.services import create_series, join_series
from tracker.tasks.models import Task
from tracker.tasks.services import complete_task, create_task
from tracker.transfer.dump import database_is_empty

__all__ = ["DEMO_PASSWORD", "database_is_empty", "load_demo"]

DEMO_PASSWORD = "rostock-demo"
DEMO_LOGIN = "anna.schmidt@rostock.example"

ORGANISATIONS = [
    # key, name, short name, kind, country
    ("hro", "Hanse- und Universitätsstadt Rostock", "Rostock", "city", "DE"),
    ("hl", "Hansestadt Lübeck", "Lübeck", "city", "DE"),
    ("travekom", "TraveKom / Smart City Lübeck", "TraveKom", "company", "DE"),
    ("kiel", "Landeshauptstadt Kiel", "Kiel", "city", "DE"),
    ("vr", "Landkreis Vorpommern-Rügen", "LK V-R", "district", "DE"),
    ("vg", "Landkreis Vorpommern-Greifswald", "LK V-G", "district", "DE"),
    ("bmwsb", "Bundesministerium für Wohnen, Stadtentwicklung und Bauwesen", "BMWSB",
     "ministry", "DE"),
    ("kts", "Koordinierungs- und Transferstelle Modellprojekte Smart Cities (DLR)", "KTS",
     "agency", "DE"),
    ("fl", "Stadt Flensburg", "Flensburg", "city", "DE"),
    ("turku", "Turku / Åbo", "Turku", "city", "FI"),
    ("rvv", "Rostocker Versorgungs- und Verkehrs-Holding", "RVV", "company", "DE"),
    ("bi", "Stadt Bielefeld", "Bielefeld", "city", "DE"),
    ("fr", "Stadt Freiburg im Breisgau", "Freiburg", "city", "DE"),
    ("kl", "Stadt Kaiserslautern", "Kaiserslautern", "city", "DE"),
    ("pb", "Stadt Paderborn", "Paderborn", "city", "DE"),
    ("wob", "Stadt Wolfsburg", "Wolfsburg", "city", "DE"),
    ("r", "Stadt Regensburg", "Regensburg", "city", "DE"),
    ("rzz", "Regionales Zukunftszentrum MV", "RZZ MV", "association", "DE"),
    ("diz", "Digitales Innovationszentrum Rostock", "DIZ", "association", "DE"),
    ("deeeper", "deeeper.technology GmbH", "deeeper", "company", "DE"),
    ("eneka", "ENEKA Energie & Karten GmbH", "ENEKA", "company", "DE"),
    ("rego", "rego Dienste GmbH", "rego", "company", "DE"),
    ("uni", "Universität Rostock", "Uni Rostock", "university", "DE"),
    ("sail", "Hanse Sail – Internationale Delegation", "Hanse Sail", "association", "DE"),
]

#: Partners the tracker writes to in English (everyone else: German).
ENGLISH_SPEAKING = {"turku": "en"}

PEOPLE = [
    # key, name, email, organisation, role (None: no login), locale
    ("anna", "Anna Schmidt", DEMO_LOGIN, "hro", "admin", "de"),
    ("jonas", "Jonas Becker", "jonas.becker@rostock.example", "hro", "editor", "de"),
    ("lea", "Lea Hoffmann", "lea.hoffmann@rostock.example", "hro", "editor", "en"),
    ("mehmet", "Mehmet Yılmaz", "mehmet.yilmaz@rostock.example", "hro", "viewer", "de"),
    ("kai", "Kai Petersen", "kai.petersen@luebeck.example", "travekom", None, None),
    ("jan", "Jan Thomsen", "jan.thomsen@kiel.example", "kiel", None, None),
    ("sanna", "Sanna Virtanen", "sanna.virtanen@turku.example", "turku", None, None),
]

LUEBECK_PARTNERS = ["hl", "travekom", "kiel", "hro", "vr", "vg"]
REGIOPOLEN = ["bi", "fr", "kl", "kiel", "hl", "pb", "wob", "r"]


WEDNESDAY = 2


def first_weekday(start: date, weekday: int) -> date:
    """The first `weekday` (Monday 0) on or after `start`: where a BYDAY=1.. series begins."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _year_shift(on: date) -> int:
    """Whole years that bring the latest recorded exchange (4 July 2023) three weeks back."""
    shift = 0
    while date(2023 + shift + 1, 7, 4) <= on - timedelta(days=21):
        shift += 1
    return shift


def load_demo(progress: Progress | None = None) -> dict[str, Any]:
    """Create the demo organisations, people, exchanges, outcomes and tasks (caller commits)."""
    report = progress or (lambda step, done, total: None)
    report("demo data", 0, 4)
    now = today()
    y = _year_shift(now)

    def day(year: int, month: int, d: int) -> date:
        return date(year + y, month, d)

    def at(d: date, hh: int, mm: int = 0) -> datetime:
        return from_local(d, time(hh, mm))

    def rel(days: int) -> date:
        return now + timedelta(days=days)

    org = {
        key: create_organisation(
            None, name=name, short_name=short, kind=kind, country=country, home=key == "hro",
            locale=ENGLISH_SPEAKING.get(key, "de"),
        )
        for key, name, short, kind, country in ORGANISATIONS
    }
    people = {}
    for key, name, email, org_key, role, locale in PEOPLE:
        people[key] = create_person(
            None,
            password=DEMO_PASSWORD if role else None,
            name=name,
            email=email,
            organisation_id=org[org_key].id,
            role=role,
            locale=locale,
        )
    team = [people[k] for k in ("anna", "jonas", "lea", "mehmet")]
    report("demo data", 1, 4)

    def orgs(*keys: str) -> list[int]:
        return [org[k].id for k in keys]

    def ids(*keys: str) -> list[int]:
        return [people[k].id for k in keys]

    def exchange(
        title: str,
        kind: str,
        *,
        start: date | datetime,
        end: date | datetime | None = None,
        all_day: bool = False,
        **extra: Any,
    ) -> Exchange:
        if all_day:
            return create_exchange(
                people["anna"], title=title, kind=kind, all_day=True,
                start_date=start, end_date=end or start, **extra,
            )
        return create_exchange(
            people["anna"], title=title, kind=kind, starts_at=start, ends_at=end, **extra
        )

    def task(title: str, owner: str, *, done: bool = False, **fields: Any) -> Task:
        t = create_task(people["anna"], title=title, owner_id=people[owner].id, **fields)
        if done:
            complete_task(t, people[owner] if people[owner].role else people["anna"])
        return t

    tasks = []
    industry = exchange(
        "Industry Day Rostock", "conference", start=day(2022, 9, 20), all_day=True,
        status="held", location="Konrad-Zuse-Haus, Rostock",
        organisation_ids=orgs("rzz", "uni", "diz"), participant_ids=ids("lea", "mehmet"),
        description="Nachhaltige Innovation durch Digitalisierung und Künstliche Intelligenz: "
        "Vorträge, zwei Pitch-Runden regionaler Unternehmen, Vernetzung.",
    )
    o = record_outcome(industry, people["anna"],
                       "Kontakte zu regionalen Digitalisierungsakteur*innen weiterführen",
                       orgs("rzz", "diz"))
    tasks.append(task("Kontakte vom Industry Day in die Partnerliste übernehmen", "lea",
                      outcome_id=o.id, due_date=rel(-300), done=True))

    sccon = exchange(
        f"Smart Country Convention {2022 + y}", "conference", start=day(2022, 10, 18),
        end=day(2022, 10, 20), all_day=True, status="held", location="Messe Berlin",
        organisation_ids=orgs("hro", "deeeper", "eneka", "rego", "diz"),
        participant_ids=ids("anna", "jonas", "lea"),
        description="Gemeinschaftsstand der Hanse- und Universitätsstadt Rostock mit Start-ups, "
        "dem DIZ und dem Kataster-, Vermessungs- und Liegenschaftsamt (3D-Stadtmodell).",
    )
    o = record_outcome(sccon, people["anna"],
                       "Inspirationen der Messe mit Stadtverwaltung und Eigenbetrieben auswerten")
    tasks.append(task("Auswertung der Convention mit Stadtverwaltung und Eigenbetrieben", "anna",
                      outcome_id=o.id, due_date=day(2022, 11, 15), done=True))
    o_visit = record_outcome(sccon, people["anna"],
                             "Eine Rostocker Delegation besucht die Smart City Lübeck",
                             orgs("travekom", "hro"))
    visit_task = task("Erfahrungsaustausch in Lübeck vereinbaren", "anna", outcome_id=o_visit.id,
                      organisation_id=org["travekom"].id, due_date=day(2022, 11, 10), done=True)
    tasks.append(visit_task)

    regiopole = exchange(
        "Erfahrungsaustausch smarter Regiopole-Städte", "network_meeting",
        start=at(day(2022, 10, 19), 16), end=at(day(2022, 10, 19), 18), status="held",
        location="Messe Berlin, Stand Rostock", follows_up_id=None,
        organisation_ids=orgs("hro", *REGIOPOLEN), participant_ids=ids("anna", "jonas"),
        description="Smarte Mobilität, Bürger*innenbeteiligung, LoRaWAN und Data Hub als "
        "gemeinsame Schwerpunkte; ähnlicher Stadttypus, vergleichbare Herausforderungen.",
    )
    sccon_next = exchange(
        f"Smart Country Convention {2023 + y}", "conference", start=day(2023, 9, 26),
        end=day(2023, 9, 28), all_day=True, status="held", location="Messe Berlin",
        organisation_ids=orgs("hro", *REGIOPOLEN), participant_ids=ids("anna", "jonas"),
        follows_up_id=regiopole.id,
    )
    o = record_outcome(regiopole, people["anna"],
                       f"Als Städteverbund Lösungen suchen und erste Ergebnisse auf der "
                       f"SCCON {2023 + y} berichten", orgs(*REGIOPOLEN))
    tasks.append(task("Erste Ergebnisse des Städteverbunds auf der SCCON berichten", "jonas",
                      outcome_id=o.id, due_exchange_id=sccon_next.id, done=True))
    tasks.append(task("Weitere interessierte Regiopole-Städte in den Verteiler aufnehmen",
                      "mehmet", outcome_id=o.id, due_date=rel(3)))
    o = record_outcome(regiopole, people["anna"],
                       "Ein Format für die Partner*innen aus den Ostseeanrainerstaaten entwickeln")
    tasks.append(task("Format für die Ostsee-Partner*innen entwickeln", "lea", outcome_id=o.id,
                      due_date=rel(-14),
                      description="Know-how der Ostseeanrainerstaaten in den Smile Exchange "
                      "einbinden; Vorschlag für das nächste Netzwerktreffen."))

    # Every third month on its first Wednesday, from November: the series crosses both
    # summer-time switches (its February and May dates are on either side of March's).
    first_wednesday = first_weekday(day(2022, 11, 1), WEDNESDAY)
    werkstatt = exchange(
        "Smart City-Werkstatt", "werkstatt", start=at(first_wednesday, 14),
        end=at(first_wednesday, 17), status="held", location="Rathaus Rostock",
        organisation_ids=orgs("hro", "rvv"), participant_ids=[p.id for p in team],
        description="Protokoll: SCR Reader Smile City Werkstatt.",
    )
    # The recorded Werkstatt is the first meeting of its series; the series makes the
    # coming ones (the meetings in between were not recorded and are not made up).
    create_series(
        people["anna"], first_meeting=werkstatt, title="Smart City-Werkstatt",
        kind="werkstatt", starts_at=werkstatt.starts_at, duration_minutes=180,
        location="Rathaus Rostock", rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE",
        organisation_ids=orgs("hro", "rvv"), participant_ids=[p.id for p in team],
        description="Die wiederkehrende Werkstatt sammelt Ideen, Projekte und Maßnahmen mit "
        "Fachämtern, Eigenbetrieben, Vereinen, Start-ups, Ortsbeiräten und Fraktionen.",
    )
    o = record_outcome(werkstatt, people["anna"], "Ergebnisse im SCR Reader dokumentieren")
    tasks.append(task("Protokoll der Werkstatt als SCR Reader veröffentlichen", "jonas",
                      outcome_id=o.id, due_date=day(2022, 11, 20), done=True))
    tasks.append(task("Themen für die nächste Werkstatt sammeln", "lea", outcome_id=o.id,
                      due_date=rel(10)))

    coffee = exchange(
        "Smart Coffee Netzwerktreffen", "network_meeting", start=at(day(2022, 11, 8), 9, 30),
        end=at(day(2022, 11, 8), 11), status="held", location="Rostock",
        organisation_ids=orgs("uni", "sail"), participant_ids=ids("anna", "lea"),
        description="Austausch mit internationalen Partner*innen (Irland, Dänemark, Schweden, "
        "Georgien, Estland) zur Strategie für Smile Exchange.",
    )
    o = record_outcome(coffee, people["anna"], "Die Strategie für Smile Exchange verdichten")
    tasks.append(task("Strategiepapier Smile Exchange entwerfen", "anna", outcome_id=o.id,
                      due_date=rel(14)))

    flensburg = exchange(
        "5. Regionalkonferenz Modellprojekte Smart Cities", "conference",
        start=day(2022, 11, 22), all_day=True, status="held",
        location="Deutsches Haus, Flensburg", organisation_ids=orgs("bmwsb", "kts", "fl"),
        participant_ids=ids("jonas"),
        description="Die Smart City-Strategie wird Wirklichkeit: Maßnahmen zielgerichtet "
        "gestalten. Kommunikation als entscheidender Erfolgsfaktor.",
    )
    conferences = create_series(
        people["anna"], first_meeting=flensburg,
        title="Regionalkonferenz Modellprojekte Smart Cities", kind="conference",
        all_day=True, start_date=flensburg.start_date, organisation_ids=orgs("bmwsb", "kts"),
        description="Die Regionalkonferenzen der Modellprojekte Smart Cities, jedes Mal in "
        "einer anderen Stadt: die Termine werden eingetragen, sobald sie feststehen.",
    )
    o = record_outcome(flensburg, people["anna"],
                       "Kommunikation der Maßnahmen stärker nutzer*innenzentriert ausrichten")
    tasks.append(task("Kommunikationskonzept überarbeiten", "jonas", outcome_id=o.id,
                      due_date=rel(-40)))

    platform = exchange(
        "Strategieworkshop Urbane Datenplattform", "workshop", start=at(day(2022, 11, 30), 9),
        end=at(day(2022, 11, 30), 13), status="held", location="Rostock",
        organisation_ids=orgs("hro", "rvv"), participant_ids=ids("jonas", "lea"),
        description="Stadtverwaltung, RVV und externe Berater*innen: Arbeitsabläufe, Sachstände "
        "der IT-Ämter und Versorger, Anwendungsfälle für Bürger*innen.",
    )
    o = record_outcome(platform, people["anna"],
                       "Sachstände aus IT-Ämtern und kommunalen Versorgungsunternehmen abfragen",
                       orgs("rvv"))
    tasks.append(task("Sachstandsabfrage an IT-Ämter und RVV versenden", "jonas", outcome_id=o.id,
                      organisation_id=org["rvv"].id, due_date=day(2022, 12, 15), done=True))
    o = record_outcome(platform, people["anna"],
                       "Anwendungsfälle der Datenplattform für Bürger*innen sammeln")
    tasks.append(task("Anwendungsfälle der Datenplattform priorisieren", "lea", outcome_id=o.id,
                      due_date=rel(6)))

    luebeck = exchange(
        "Smart City Exchange in Lübeck", "visit", start=at(day(2022, 12, 6), 10),
        end=at(day(2022, 12, 6), 15), status="held", location="TraveKom, Lübeck",
        follows_up_id=sccon.id, organisation_ids=orgs(*LUEBECK_PARTNERS),
        participant_ids=ids("anna", "jonas", "kai", "jan"),
        description="LoRaWAN, Datenplattform, Kommunikationskonzept und Persona-Entwicklung der "
        "Smart City Lübeck. Gemeinsame Ziele: bürgerzentrierter Ansatz, Kooperation entlang "
        "der Ostseeküste und mit den Anrainerstaaten.",
    )
    visit_task.plans_exchange_id = luebeck.id
    o = record_outcome(luebeck, people["anna"],
                       "Lübeck, Kiel und Rostock sowie die Landkreise Vorpommern-Rügen und "
                       "Vorpommern-Greifswald treten in einen dauerhaften Austausch",
                       orgs(*LUEBECK_PARTNERS))
    tasks.append(task("Gemeinsamen Verteiler der fünf Partner anlegen", "mehmet", outcome_id=o.id,
                      due_date=day(2022, 12, 20), done=True))
    o_gov = record_outcome(luebeck, people["anna"], "Workshop zum Thema Governance in Rostock",
                           orgs(*LUEBECK_PARTNERS))
    governance_task = task("Governance-Workshop in Rostock ausrichten", "anna",
                           outcome_id=o_gov.id, organisation_id=org["hro"].id, due_date=rel(28))
    tasks.append(governance_task)
    governance = plan_exchange_from_task(
        governance_task, people["anna"], kind="workshop", starts_at=at(rel(28), 10),
        ends_at=at(rel(28), 16), location="Rathaus Rostock",
        organisation_ids=orgs(*LUEBECK_PARTNERS), participant_ids=ids("anna", "jonas", "kai"),
        title="Governance-Workshop Smart Cities an der Ostseeküste",
    )
    permanent = create_series(
        people["anna"], first_meeting=luebeck,
        title="Dauerhafter Austausch Lübeck–Kiel–Rostock", kind="network_meeting",
        starts_at=luebeck.starts_at, duration_minutes=300,
        organisation_ids=orgs(*LUEBECK_PARTNERS), participant_ids=ids("anna", "jonas", "kai"),
        description="Lübeck, Kiel und Rostock sowie die Landkreise Vorpommern-Rügen und "
        "Vorpommern-Greifswald im dauerhaften Austausch: Workshops zu Governance (in Rostock) "
        "und Datenstrategie.",
    )
    join_series(permanent, governance, people["anna"])
    tasks.append(task("Governance-Modelle der Partner zusammenfassen", "jonas",
                      outcome_id=o_gov.id, due_exchange_id=governance.id))
    o = record_outcome(luebeck, people["anna"], "Workshop zum Thema Datenstrategie",
                       orgs(*LUEBECK_PARTNERS))
    tasks.append(task("Datenstrategie-Workshop vorbereiten", "jan", outcome_id=o.id,
                      organisation_id=org["kiel"].id, due_date=rel(45)))
    o = record_outcome(luebeck, people["anna"],
                       "Vertiefender Austausch zum bürgerzentrierten Ansatz (Personas)",
                       orgs("travekom"))
    tasks.append(task("Persona-Unterlagen aus Lübeck anfragen", "lea", outcome_id=o.id,
                      organisation_id=org["travekom"].id, due_date=rel(-20)))
    tasks.append(task("LoRaWAN-Erfahrungen Lübecks für die Datenplattform aufbereiten", "kai",
                      outcome_id=o.id, organisation_id=org["travekom"].id, due_date=rel(-3)))

    turku = exchange(
        "Erfahrungsaustausch mit der Delegation aus Turku", "visit",
        start=at(day(2023, 4, 26), 10), end=at(day(2023, 4, 26), 14), status="held",
        location="Rostock", organisation_ids=orgs("turku", "hro"),
        participant_ids=ids("lea", "sanna"),
        description="Mobilität und ÖPNV; die Delegation lobte Rostocks Fahrradmobilität.",
    )
    # Agreed with Turku in English; the team reads it in German too.
    o = record_outcome(turku, people["anna"], "Share our experience with cycling mobility",
                       orgs("turku"), language="en",
                       translations={"de": {"text": "Erfahrungen zur Fahrradmobilität teilen"}})
    tasks.append(task("Send the cycling mobility material to Turku", "lea", outcome_id=o.id,
                      organisation_id=org["turku"].id, due_date=day(2023, 5, 15), done=True,
                      language="en", translations={"de": {
                          "title": "Unterlagen zur Fahrradmobilität an Turku senden"}}))
    tasks.append(task("Agree on the date of the return visit to Turku", "sanna",
                      outcome_id=o.id, organisation_id=org["turku"].id, due_time=time(10),
                      due_date=rel(1), language="en",
                      description="Turku proposes two dates in spring; check them with Lea.",
                      translations={"de": {
                          "title": "Gegenbesuch in Turku abstimmen",
                          "description": "Turku schlägt zwei Termine im Frühjahr vor; mit Lea "
                                         "abstimmen."}}))

    regional = exchange(
        "9. Regionalkonferenz Modellprojekte Smart Cities", "conference",
        start=at(day(2023, 7, 4), 9), end=at(day(2023, 7, 4), 17), status="held",
        location="Rostock", organisation_ids=orgs("bmwsb", "kts", "hro"),
        participant_ids=[p.id for p in team],
        description="„Gemeinsam in der Ostseeregion: Smartes Zusammenspiel von Mensch und "
        "Technik“ – rund 100 Vertreter*innen aus Kommunen, Politik und Wirtschaft.",
    )
    join_series(conferences, regional, people["anna"])
    o = record_outcome(regional, people["anna"],
                       "Interkommunale Vernetzung in der Ostseeregion stärken",
                       orgs("hro", "hl", "kiel"))
    tasks.append(task("Teilnehmendenliste an die Partnerstädte weitergeben", "mehmet",
                      outcome_id=o.id, due_date=rel(-7)))
    tasks.append(task("Evaluation der Konferenz an die KTS senden", "anna", outcome_id=o.id,
                      organisation_id=org["kts"].id, done=True, due_date=rel(-60)))
    tasks.append(task("Fotos und Video der Konferenz veröffentlichen", "jonas", due_date=None,
                      exchange_id=regional.id))

    exchanges = [industry, sccon, regiopole, sccon_next, werkstatt, coffee, flensburg, platform,
                 luebeck, governance, turku, regional]
    report("demo data", 2, 4)
    routine = _routine_follow_ups(exchanges, team, people["anna"])
    report("demo data", 3, 4)
    _give_a_history(exchanges, tasks, routine)
    tasks += routine
    report("demo data", 4, 4)
    return {
        "organisations": len(org),
        "people": len(people),
        "exchanges": len(exchanges),
        "tasks": len(tasks),
        "login": DEMO_LOGIN,
    }


#: The small follow-ups every exchange brings, spread over the past year in the demo.
ROUTINE = [
    "Protokoll an die Teilnehmenden versenden",
    "Kontaktdaten in die Partnerliste übernehmen",
    "Präsentationen im Teamordner ablegen",
    "Rückfragen der Partner beantworten",
    "Termin für ein Folgegespräch abstimmen",
    "Ergebnisse im Team vorstellen",
    "Fotos für den Newsletter auswählen",
    "Kurzbericht für die Amtsleitung schreiben",
]
#: Days from an agreement to its check-off, in turn: most on time, some late.
DAYS_TO_DONE = (6, 12, 19, 9, 27, 15, 34, 11, 22, 48)


def _day_noon(day: date) -> datetime:
    return from_local(day, time(12))


def _routine_follow_ups(exchanges: list[Exchange], team: list[Person],
                        creator: Person) -> list[Task]:
    """About one small follow-up a week over the past year, each from the latest exchange
    before it, most checked off within weeks: what the over-time chart is there to show."""
    now = today()
    held = sorted((e for e in exchanges if e.first_day and e.first_day < now),
                  key=lambda e: e.first_day or now)
    made = []
    for n in range(52):
        agreed = now - timedelta(days=364 - 7 * n)
        before = [e for e in held if e.first_day and e.first_day <= agreed]
        source = before[-1] if before else held[0]
        owner = team[n % len(team)]
        due = agreed + timedelta(days=14 + 7 * (n % 3))
        task = create_task(creator, title=ROUTINE[n % len(ROUTINE)], owner_id=owner.id,
                           exchange_id=source.id, due_date=due)
        task.created_at = _day_noon(agreed)
        done_on = agreed + timedelta(days=DAYS_TO_DONE[n % len(DAYS_TO_DONE)])
        # The last weeks' follow-ups are still open; two older ones were forgotten.
        if done_on < now - timedelta(days=2) and n % 17 != 5:
            complete_task(task, owner)
            task.completed_at = _day_noon(done_on)
        made.append(task)
    return made


def _give_a_history(exchanges: list[Exchange], tasks: list[Task], routine: list[Task]) -> None:
    """Move the records' creation and check-off times, and their audit entries, to when
    they would have happened: exchanges entered a fortnight ahead, outcomes and follow-ups
    the day after the exchange, follow-ups checked off on their due day (all up to today)."""
    now = datetime.now(UTC)

    def not_after_now(moment: datetime) -> datetime:
        return min(moment, now - timedelta(minutes=5))

    when: dict[tuple[str, int], dict[str, datetime]] = {}
    for exchange in exchanges:
        first = exchange.first_day
        if first is None or first >= today():
            continue
        exchange.created_at = not_after_now(_day_noon(first - timedelta(days=14)))
        when[("exchanges", exchange.id)] = {"create": exchange.created_at}
        outcomes = db.session.scalars(select(Outcome).where(Outcome.exchange_id == exchange.id))
        for outcome in outcomes:
            outcome.created_at = not_after_now(_day_noon(first + timedelta(days=1)))
            outcome.updated_at = outcome.created_at
            when[("outcomes", outcome.id)] = {"create": outcome.created_at}
        exchange.updated_at = exchange.created_at
    by_id = {e.id: e for e in exchanges}
    for task in tasks:
        source = by_id.get(task.exchange_id or 0) or (task.outcome and task.outcome.exchange)
        if source and source.first_day and source.first_day < today():
            task.created_at = not_after_now(_day_noon(source.first_day + timedelta(days=1)))
        if task.completed_at and task.due_date and task.created_at < _day_noon(task.due_date):
            task.completed_at = not_after_now(_day_noon(task.due_date))
    for task in tasks + routine:
        if task.completed_at:
            task.completed_at = not_after_now(max(task.completed_at, task.created_at))
        task.updated_at = task.completed_at or task.created_at
        when[("tasks", task.id)] = {"create": task.created_at}
        if task.completed_at:
            when[("tasks", task.id)]["complete"] = task.completed_at
    db.session.flush()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type.in_(("exchanges", "outcomes", "tasks")))
    )
    for entry in entries:
        moment = when.get((entry.entity_type, entry.entity_id), {}).get(entry.action)
        if moment is None:
            continue
        entry.at = moment
        if entry.action == "complete" and "completed_at" in entry.changes:
            entry.changes = {**entry.changes,
                             "completed_at": [None, jsonable(moment)]}
    db.session.flush()
