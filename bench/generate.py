"""Fill the database of DATABASE_URL with one national-scale cycle, for bench/run.

    python -m bench.generate [--scale 0.01] [--reset] [--seed 1]

At scale 1: 20 jurisdictions, 200,000 accounts (one shared password hash), one national cycle whose
intake, tables and consultation are open today, 100,000 proposals, 1,000,000 comments on the draft
plan's commitments (commitment N° 1 has 100,000 of them), 200 working tables with 50,000
registrations. The schema comes from the migrations (`flask db upgrade`).

The frame (places, staff accounts, organisations, the cycle, its areas, commitments, frozen plan,
tables) is made through the domains' services, like the demo. The volume is written in bulk —
PostgreSQL COPY, SQLite executemany in batches — with every column a service would set: one state
history row per object, references and the reference counter, seats taken, proposals' search and
similarity columns, comments' rendered body and fingerprint. Prints how long each part took.
"""
import argparse
import hashlib
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

FULL = {"jurisdictions": 20, "accounts": 200_000, "proposals": 100_000, "comments": 1_000_000,
        "big_thread": 100_000, "tables": 200, "registrations": 50_000}
NATIONAL_SLUG = "chile"
CYCLE_SLUG = "plan-nacional"
CYCLE_CODE = "PN"
COMMITMENTS = 12
ORGANISATIONS = 20
AREAS = ("Modernización del Estado", "Transparencia e integridad", "Participación ciudadana",
         "Medio ambiente y recursos naturales", "Salud", "Educación", "Justicia", "Desarrollo territorial",
         "Economía y compras públicas", "Datos abiertos")
ENTITIES = ("Consejo para la Transparencia", "Ministerio Secretaría General de la Presidencia",
            "Dirección General de Aguas", "Dirección Nacional del Servicio Civil", "Biblioteca del Congreso Nacional",
            "Defensoría Penal Pública", "Contraloría General de la República", "Dirección de Compras Públicas")
FIRST_NAMES = ("Camila", "Diego", "Valentina", "Matías", "Francisca", "Benjamín", "Javiera", "Joaquín", "Catalina",
               "Tomás", "Isidora", "Vicente", "Antonia", "Martín", "Fernanda", "Sebastián", "Constanza", "Felipe",
               "Josefa", "Ignacio", "Daniela", "Cristóbal", "María José", "Nicolás")
LAST_NAMES = ("González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Contreras", "Silva", "Martínez", "Sepúlveda",
              "Morales", "Rodríguez", "López", "Fuentes", "Hernández", "Torres", "Araya", "Flores", "Espinoza",
              "Valenzuela", "Castillo", "Tapia", "Reyes", "Gutiérrez")
EMAIL_DOMAIN = "bench.consulta.cl"
# Every generated account signs in with this password (bench/run's writers use it).
PASSWORD = "banco-de-pruebas-2026"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def sizes(scale: float) -> dict:
    scaled = {key: max(1, round(value * scale)) for key, value in FULL.items()}
    scaled["jurisdictions"] = FULL["jurisdictions"] if scale >= 0.01 else max(2, scaled["jurisdictions"])
    scaled["tables"] = max(2, scaled["tables"])
    scaled["accounts"] = max(scaled["accounts"], 50)
    scaled["big_thread"] = min(scaled["big_thread"], scaled["comments"])
    # Nobody registers twice for one table.
    scaled["registrations"] = min(scaled["registrations"], scaled["tables"] * scaled["accounts"])
    return scaled


def email(number: int) -> str:
    return f"persona{number}@{EMAIL_DOMAIN}"


def _code(number: int) -> str:
    digits = []
    for _ in range(6):
        number, rest = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[rest])
    return "".join(digits)


@dataclass
class Frame:
    """What the services made, that the bulk rows point at."""

    national_id: int
    cycle_id: int
    version_id: int
    moderator_id: int
    commitment_ids: list
    area_ids: list
    entities: dict
    table_ids: list
    # organisation id -> (sector name, its representative's id)
    organisations: dict
    intake_opens: datetime
    consultation_opens: datetime


# --- the frame, through the services -----------------------------------------------------------

def make_frame(counts: dict, rng: random.Random, password_hash: str) -> Frame:
    from consulta.accounts import services as accounts
    from consulta.commitments import services as commitments
    from consulta.core import clock
    from consulta.core.sectors import ORGANISATION_SECTORS
    from consulta.core.windows import Window, window_from_dates
    from consulta.cycles import services as cycles
    from consulta.cycles.models import PhaseKind
    from consulta.demo.loader import cheap_hashes
    from consulta.extensions import db
    from consulta.jurisdictions import services as jurisdictions
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.organisations import rut
    from consulta.organisations import services as organisations
    from consulta.proposals import services as proposals
    from consulta.tables import services as tables

    now = clock.now()
    tz = "America/Santiago"
    today = now.astimezone(ZoneInfo(tz)).date()
    national = jurisdictions.create_jurisdiction(name="Chile", slug=NATIONAL_SLUG, kind=JurisdictionKind.NATIONAL,
                                                 actor=None)
    regions = list(Region)
    for number in range(1, counts["jurisdictions"]):
        jurisdictions.create_jurisdiction(name=f"Comuna {number}", slug=f"comuna-{number}",
                                          kind=JurisdictionKind.MUNICIPALITY, region=regions[number % len(regions)],
                                          actor=None)
    entities = {name: jurisdictions.add_entity(national, name=name, actor=None) for name in ENTITIES}

    with cheap_hashes():
        def staff(key, name):
            user = accounts.create_user(email=f"{key}@{EMAIL_DOMAIN}", password=PASSWORD, display_name=name,
                                        verified=True)
            user.password_hash = password_hash
            return user

        admin = staff("administracion", "Administración nacional")
        moderator = staff("moderacion", "Moderación nacional")
        representatives = [staff(f"representante{n}", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
                           for n in range(ORGANISATIONS)]
    db.session.flush()
    jurisdictions.grant_role(admin, Role.ADMIN, national, actor=None, reason="bench")
    jurisdictions.grant_role(moderator, Role.MODERATOR, national, actor=admin, reason="bench")

    found = {}
    for number, person in enumerate(representatives):
        identifier = 70_000_000 + number
        request = organisations.request_representation(
            person, name=f"Fundación Ciudadana {number + 1}", sector=ORGANISATION_SECTORS[number % 4],
            identifier=f"{identifier}-{rut.check_digit(identifier)}", jurisdiction=national)
        organisations.verify_representation(request, actor=moderator, reason="bench")
        found[request.organisation.id] = (request.organisation.sector.name, person.id)

    cycle = cycles.create_cycle(national, name=f"Plan de Acción Nacional de Gobierno Abierto {today.year}",
                                slug=CYCLE_SLUG, code=CYCLE_CODE, starts_on=today - timedelta(days=40),
                                ends_on=today + timedelta(days=400), actor=admin)
    # Intake, tables and the consultation are open today, so that bench/run can write in all three.
    plan = ((PhaseKind.INTAKE, -30, 30), (PhaseKind.TABLES, -29, 45), (PhaseKind.SYSTEMATISATION, -28, 50),
            (PhaseKind.CONSULTATION, -27, 60), (PhaseKind.MESA_REVIEW, 61, 75), (PhaseKind.PUBLICATION, 76, 90),
            (PhaseKind.IMPLEMENTATION, 91, 400))
    for kind, first, last in plan:
        cycles.set_phase(cycle, kind, window=window_from_dates(today + timedelta(days=first),
                                                               today + timedelta(days=last), tz), actor=admin)
    areas = [proposals.add_area(cycle, name=name, actor=admin) for name in AREAS]
    db.session.flush()
    for number in range(1, COMMITMENTS + 1):
        commitment = commitments.create_commitment(
            cycle, number=number, name=f"Compromiso {number}: {rng.choice(AREAS).lower()} con datos abiertos",
            area=areas[number % len(areas)], entity=entities[ENTITIES[number % len(ENTITIES)]],
            starts_on=today + timedelta(days=91), ends_on=today + timedelta(days=400),
            problem="La información pública está dispersa y no permite a la ciudadanía hacer seguimiento.",
            commitment_text="Publicar en formato abierto, cada mes, la información que el compromiso describe.",
            contribution="Permite a cualquier persona comparar y controlar la gestión.", values=["TRANSPARENCIA"],
            from_proposals=[], actor=moderator)
        for position in range(3):
            commitments.add_activity(commitment, name=f"Actividad {position + 1}: publicar el informe",
                                     starts_on=today + timedelta(days=91 + 90 * position),
                                     ends_on=today + timedelta(days=180 + 90 * position), actor=moderator)
    db.session.flush()
    for kind in (PhaseKind.INTAKE, PhaseKind.TABLES, PhaseKind.CONSULTATION):
        cycles.open_phase(cycle.phase(kind), actor=admin)
    version = commitments.consultation_version(cycle)

    table_ids = []
    for number in range(counts["tables"]):
        starts = (now + timedelta(days=20 + number % 20)).astimezone(ZoneInfo(tz)).replace(
            hour=10, minute=0, second=0, microsecond=0, tzinfo=None)
        table = tables.create_table(
            cycle, title=f"Mesa {number + 1}: {AREAS[number % len(AREAS)]}", area=AREAS[number % len(AREAS)],
            starts_at=starts, capacity=min(2000, counts["registrations"] // counts["tables"] + 50), actor=moderator,
            address=f"Av. Libertador Bernardo O'Higgins {100 + number}, Santiago",
            registration_window=Window(now - timedelta(days=10), now + timedelta(days=19)),
            description="Una mesa de trabajo abierta a la ciudadanía y a las organizaciones.")
        db.session.flush()
        table_ids.append(table.id)
    db.session.commit()
    intake = cycle.phase(PhaseKind.INTAKE)
    return Frame(national_id=national.id, cycle_id=cycle.id, version_id=version.id, moderator_id=moderator.id,
                 commitment_ids=[c.id for c in commitments.plan(cycle)], area_ids=[a.id for a in areas],
                 entities={name: entity.id for name, entity in entities.items()}, table_ids=table_ids,
                 organisations=found, intake_opens=intake.opens_at,
                 consultation_opens=cycle.phase(PhaseKind.CONSULTATION).opens_at)


# --- bulk writing -------------------------------------------------------------------------------

class Writer:
    """Rows as tuples into one table: PostgreSQL COPY, or SQLite executemany in batches."""

    BATCH = 10_000

    def __init__(self, connection):
        self.connection = connection
        self.raw = connection.connection.driver_connection
        self.postgres = connection.dialect.name == "postgresql"

    def instant(self, value: datetime):
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive if self.postgres else naive.strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date):
        return value if self.postgres else value.isoformat()

    def write(self, table: str, columns: tuple, rows) -> int:
        names = ", ".join(f'"{name}"' for name in columns)
        written = 0
        if self.postgres:
            # COPY's text format written directly: several times faster than a dumper per value.
            with self.raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                lines = []
                for row in rows:
                    lines.append("\t".join(map(_copy_text, row)))
                    if len(lines) >= self.BATCH:
                        copy.write("\n".join(lines) + "\n")
                        written += len(lines)
                        lines.clear()
                if lines:
                    copy.write("\n".join(lines) + "\n")
                    written += len(lines)
            return written
        statement = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.BATCH:
                self.raw.executemany(statement, batch)
                written += len(batch)
                batch.clear()
        if batch:
            self.raw.executemany(statement, batch)
            written += len(batch)
        return written

    def without_indexes(self, tables):
        """Drop the tables' secondary indexes (and, in PostgreSQL, their foreign keys) for the bulk
        load and give back the statements that rebuild them: one sort per index and one check per
        key afterwards, instead of a million random insertions and lookups."""
        rebuild = []
        for table in tables:
            if self.postgres:
                keys = self.raw.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                        "WHERE conrelid = %s::regclass AND contype = 'f'", (f'"{table}"',)).fetchall()
                for name, definition in keys:
                    self.raw.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                    rebuild.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                found = self.raw.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint)", (table,)).fetchall()
            else:
                found = self.raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                         "AND sql IS NOT NULL", (table,)).fetchall()
            for name, definition in found:
                self.raw.execute(f'DROP INDEX "{name}"')
                rebuild.append(definition)
        return rebuild

    def next_id(self, table: str) -> int:
        return (self.raw.execute(f'SELECT max(id) FROM "{table}"').fetchone()[0] or 0) + 1

    def reset_sequence(self, table: str) -> None:
        if self.postgres:
            self.raw.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                             f'(SELECT max(id) FROM "{table}"))')


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


HISTORY = ("object_type", "object_id", "from_state", "to_state", "actor_id", "at", "reason", "public")


def spread(start: datetime, end: datetime, count: int, rng: random.Random) -> list[datetime]:
    """`count` increasing instants between start and end (rows are made in the order they happened)."""
    span = (end - start).total_seconds()
    return [start + timedelta(seconds=offset) for offset in sorted(rng.uniform(0, span) for _ in range(count))]


def write_accounts(writer, count, password_hash, rng, now) -> tuple[int, int]:
    first = writer.next_id("user")
    created = spread(now - timedelta(days=400), now - timedelta(days=35), count, rng)
    rows = []
    for offset, at in enumerate(created):
        stamp = writer.instant(at)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        rows.append((first + offset, email(first + offset), stamp, password_hash, name, "es", "ACTIVE", 0,
                     stamp, stamp))
    writer.write("user", ("id", "email", "email_verified_at", "password_hash", "display_name", "locale", "state",
                          "session_version", "created_at", "updated_at"), rows)
    writer.write("state_change", HISTORY, (("user", row[0], None, "ACTIVE", row[0], row[2], "", False)
                                           for row in rows))
    writer.reset_sequence("user")
    return first, first + count - 1


def write_proposals(writer, frame, counts, pool, rng, people, now) -> None:
    from consulta.proposals.similarity import fold, index_entries, words

    first = writer.next_id("proposal")
    tz = ZoneInfo("America/Santiago")
    entity_names = list(frame.entities)
    folded_entities = {name: fold(name) for name in entity_names}
    organisations = list(frame.organisations.items())
    proposals, versions, values, history, indexed = [], [], [], [], []
    # The searchable words of each paragraph, title and entity name, found once: a proposal's are
    # the union of its pieces' (folded paragraphs are joined by a blank line).
    words_of: dict[str, set] = {}

    def searchable(*folded_texts):
        found = set()
        for folded in folded_texts:
            for piece in folded.split("\n\n"):
                if piece not in words_of:
                    words_of[piece] = words(piece)
                found |= words_of[piece]
        return found

    instants = spread(frame.intake_opens + timedelta(hours=1), now - timedelta(minutes=5), counts["proposals"], rng)
    for offset, at in enumerate(instants):
        pid, number = first + offset, offset + 1
        reference = f"{CYCLE_CODE}-{number:04d}"
        title = pool.title()
        problem = pool.paragraphs(rng.randint(1, 2))
        body = pool.paragraphs(rng.randint(4, 8))
        entity = rng.choice(entity_names) if rng.random() < 0.5 else None
        if rng.random() < 0.1:
            organisation_id, (sector, author_id) = rng.choice(organisations)
        else:
            organisation_id, sector, author_id = None, "CIUDADANIA", rng.randint(*people)
        # A few are withdrawn by their author; the rest wait for triage.
        withdrawn = rng.random() < 0.03
        stamp = writer.instant(at)
        body_stems = f"{problem.stems} {body.stems}".strip()
        indexed.append((pid, title.stems, body_stems, reference, (title.folded, problem.folded, body.folded,
                                                                  folded_entities.get(entity) or "")))
        area_id = rng.choice(frame.area_ids)
        proposals.append((
            pid, frame.cycle_id, number, reference, "WITHDRAWN" if withdrawn else "SUBMITTED", "FORM", sector,
            title.text, problem.text, body.text, area_id, entity, frame.entities.get(entity), author_id,
            organisation_id, stamp, writer.day(at.astimezone(tz).date()), 1,
            "NO_LONGER_RELEVANT" if withdrawn else None, f"bench-proposal-{pid}", title.stems, body_stems, stamp,
            stamp))
        chosen = sorted(rng.sample(("COLABORACION_INNOVACION", "PARTICIPACION", "RENDICION_DE_CUENTAS",
                                    "TRANSPARENCIA"), rng.randint(1, 2)))
        values.extend((pid, value) for value in chosen)
        versions.append((pid, 1, title.text, problem.text, body.text, area_id, entity, ",".join(chosen), stamp,
                         author_id))
        history.append(("proposal", pid, None, "SUBMITTED", author_id, stamp, "", True))
        if withdrawn:
            later = writer.instant(at + timedelta(hours=2))
            history.append(("proposal", pid, "SUBMITTED", "WITHDRAWN", author_id, later, "NO_LONGER_RELEVANT", True))
    writer.write("proposal", (
        "id", "cycle_id", "number", "reference", "state", "channel", "sector", "title", "problem", "body", "area_id",
        "entity_name", "entity_id", "author_id", "organisation_id", "submitted_at", "received_on", "version_count",
        "withdrawal_reason", "idempotency_key", "title_terms", "body_terms", "created_at", "updated_at"), proposals)
    # The term index, as proposals.services.index_rows makes it.
    writer.write("proposal_term", ("cycle_id", "term", "proposal_id", "weight"), (
        (frame.cycle_id, term, pid, weight) for pid, title_stems, body_stems, reference, pieces in indexed
        for term, weight in index_entries(title_stems.split(), body_stems.split(),
                                          words(reference) | searchable(*pieces)).items()))
    writer.write("proposal_value", ("proposal_id", "value"), values)
    writer.write("proposal_version", ("proposal_id", "number", "title", "problem", "body", "area_id", "entity_name",
                                      "value_codes", "created_at", "created_by_id"), versions)
    writer.write("state_change", HISTORY, history)
    writer.raw.execute(f"INSERT INTO reference_counter (cycle_id, last_number) VALUES ({frame.cycle_id}, "
                       f"{counts['proposals']})")
    writer.reset_sequence("proposal")


def write_comments(writer, frame, counts, pool, rng, people, now) -> None:
    from consulta.consultation import tally

    first = writer.next_id("comment")
    big, others = frame.commitment_ids[0], frame.commitment_ids[1:] or frame.commitment_ids
    targets = [big] * counts["big_thread"] + [rng.choice(others) for _ in range(counts["comments"] -
                                                                              counts["big_thread"])]
    rng.shuffle(targets)
    top_level: dict[int, list] = {}
    instants = spread(frame.consultation_opens + timedelta(hours=1), now - timedelta(minutes=5), len(targets), rng)
    alignments = ("A_FAVOR", "EN_CONTRA", "NEUTRAL")
    columns = ("id", "cycle_id", "target_kind", "target_id", "version_id", "parent_id", "author_id", "sector",
               "staff", "alignment", "text", "body", "fingerprint", "fingerprint_hash", "state",
               "idempotency_key", "created_at", "updated_at")

    def chunks():
        # Made and written a slice at a time: a million texts do not sit in memory at once.
        slice_size = 50_000
        for start in range(0, len(targets), slice_size):
            rows, history = [], []
            for offset in range(start, min(start + slice_size, len(targets))):
                cid, target, at = first + offset, targets[offset], instants[offset]
                earlier = top_level.get(target)
                # One comment in twenty answers an earlier one of the same thread (one level of replies).
                parent = rng.choice(earlier[-200:]) if earlier and rng.random() < 0.05 else None
                if parent is None:
                    top_level.setdefault(target, []).append(cid)
                content = pool.paragraphs(2)
                author = rng.randint(*people)
                stamp = writer.instant(at)
                rows.append((cid, frame.cycle_id, "commitment", target, frame.version_id, parent, author, "CIUDADANIA",
                             False, None if parent else rng.choice(alignments), content.text, content.html,
                             content.stems, hashlib.sha256(content.stems.encode()).hexdigest(), "PUBLISHED",
                             f"bench-comment-{cid}", stamp, stamp))
                history.append(("comment", cid, None, "PUBLISHED", author, stamp, "", True))
            yield rows, history

    for rows, history in chunks():
        writer.write("comment", columns, rows)
        writer.write("state_change", HISTORY, history)
    writer.reset_sequence("comment")
    # The figures' tally, which the application keeps at each flush, counted from the rows written
    # around it: the same INSERT … SELECT as `flask consultation retally`.
    tally.rebuild(writer.connection)


def write_registrations(writer, frame, counts, rng, people, now) -> None:
    first = writer.next_id("registration")
    per_table, extra = divmod(counts["registrations"], len(frame.table_ids))
    rows, history, taken = [], [], {}
    rid = first
    low, high = people
    for index, table_id in enumerate(frame.table_ids):
        wanted = per_table + (1 if index < extra else 0)
        taken[table_id] = wanted
        for user_id in rng.sample(range(low, high + 1), wanted):
            stamp = writer.instant(now - timedelta(days=rng.uniform(0.1, 9.9)))
            rows.append((rid, table_id, user_id, "CIUDADANIA", "", _code(rid), "CONFIRMED", stamp, stamp))
            history.append(("registration", rid, None, "CONFIRMED", user_id, stamp, "", False))
            rid += 1
    writer.write("registration", ("id", "table_id", "user_id", "sector", "needs", "code", "state", "created_at",
                                  "updated_at"), rows)
    writer.write("state_change", HISTORY, history)
    for table_id, seats in taken.items():
        # The maintained counter, equal to a recount of confirmed registrations.
        writer.raw.execute(f"UPDATE working_table SET seats_taken = {seats} WHERE id = {table_id}")
    writer.reset_sequence("registration")


def analyse(engine) -> None:
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


# --- the command --------------------------------------------------------------------------------

def reset(engine) -> None:
    """Empty a database completely (every table, and Alembic's version), so that the migrations
    build it from zero: `--reset`, and the test suite's database at the start of each run."""
    from sqlalchemy import text

    from consulta.extensions import db

    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def generate(app, *, scale: float = 1.0, seed: int = 1, fresh: bool = False, out=print) -> dict:
    """Build the schema and fill it; returns the counts made. `fresh`: empty the database first."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from consulta.accounts.passwords import hash_password
    from consulta.core import clock
    from consulta.extensions import db
    from consulta.jurisdictions.models import Jurisdiction

    counts = sizes(scale)
    rng = random.Random(seed)
    started = time.monotonic()
    timings = []

    def lap(label, since):
        timings.append((label, time.monotonic() - since))
        out(f"  {label:<28} {time.monotonic() - since:7.1f} s")
        return time.monotonic()

    with app.app_context():
        if fresh:
            reset(db.engine)
        upgrade()
        if db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == NATIONAL_SLUG)) is not None:
            raise SystemExit("This database already holds a bench (or demo) cycle: use --reset, or another database.")
        step = lap("schema (migrations)", started)
        password_hash = hash_password(PASSWORD)
        frame = make_frame(counts, rng, password_hash)
        from bench.texts import Pool

        pool = Pool(rng)
        # The session's transaction holds locks that dropping the keys would wait for.
        db.session.close()
        step = lap("frame through the services", step)
        now = clock.now()
        with db.engine.begin() as connection:
            writer = Writer(connection)
            if writer.postgres:
                writer.raw.execute("SET maintenance_work_mem = '256MB'")
            rebuild = writer.without_indexes(("user", "state_change", "proposal", "proposal_version",
                                              "proposal_term", "registration", "comment"))
            people = write_accounts(writer, counts["accounts"], password_hash, rng, now)
            step = lap(f"{counts['accounts']:,} accounts", step)
            write_proposals(writer, frame, counts, pool, rng, people, now)
            step = lap(f"{counts['proposals']:,} proposals", step)
            write_registrations(writer, frame, counts, rng, people, now)
            step = lap(f"{counts['registrations']:,} registrations", step)
            write_comments(writer, frame, counts, pool, rng, people, now)
            step = lap(f"{counts['comments']:,} comments", step)
            for statement in rebuild:
                writer.raw.execute(statement)
            step = lap(f"{len(rebuild)} indexes and keys rebuilt", step)
        analyse(db.engine)
        lap("analyse", step)
        dialect = db.engine.dialect.name
    out(f"done in {time.monotonic() - started:.1f} s on {dialect}; accounts sign in as "
        f"{email(people[0])} … {email(people[1])} with the password {PASSWORD!r}")
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national size (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="empty the database first (drops every table)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 2:
        parser.error("--scale is between 0 (excluded) and 2")
    import config
    from consulta import create_app

    app = create_app(config.Config)
    out = app.config["SQLALCHEMY_DATABASE_URI"].rsplit("@", 1)[-1]
    print(f"bench/generate: scale {args.scale} into {out}")
    generate(app, scale=args.scale, seed=args.seed, fresh=args.reset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
