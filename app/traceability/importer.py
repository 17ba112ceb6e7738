"""Bulk import of cylinders from CSV or XLSX: validate every row first, then insert in bulk."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from openpyxl.utils import get_column_letter
from sqlalchemy import insert, select, text, tuple_, update

from app.auth.models import Organisation, User
from app.auth.policy import is_oversight
from app.clock import today
from app.database import utcnow
from app.errors import N_, ValidationFailed
from app.extensions import db
from app.traceability.chain import chained_fields, event_hash
from app.traceability.codes import CodeError, parse_code
from app.traceability.import_files import REQUIRED, Header, locate_header, parse_date
from app.traceability.models import GENESIS_HASH, Code, Cylinder, Event
from app.traceability.names import serial_identity
from app.traceability.rule_store import find_spec, life_rules, model_specs
from app.traceability.rules import CylinderFacts, default_design_life, derive_state
from app.traceability.services import (
    Registration,
    public_base_url,
    snapshot_values,
    validate_registration,
)

CHUNK = 2000
# From this many new cylinders on, PostgreSQL's statistics are refreshed in the import itself.
ANALYZE_AFTER_ROWS = 1000


@dataclass
class RowError:
    line: int
    column: str
    code: str
    message: str
    header: str | None = None  # the column's header as the clerk typed it (制造日期)
    cell: str | None = None  # where to look in the file: E7


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "imported": self.imported, "skipped": self.skipped,
                "dry_run": self.dry_run, "errors": [e.__dict__ for e in self.errors]}


class ImportRejected(ValidationFailed):
    code = "import_rejected"


def import_cylinders(actor: User, data: bytes, filename: str, *, skip_invalid: bool = False,
                     dry_run: bool = False, max_rows: int = 200_000,
                     progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, then import all (or, with skip_invalid, the good ones)."""
    header = locate_header(data, filename)
    rows, index = header.rows, header.index
    report = ImportReport(dry_run=dry_run)
    orgs = {o.name: o.id for o in db.session.scalars(select(Organisation))}
    org_ids = set(orgs.values())
    specs = model_specs()
    rules = life_rules()
    on = today()
    base = public_base_url()
    candidates: list[tuple[int, Registration, tuple[str, str]]] = []  # line, row, stamp
    seen_codes: dict[str, int] = {}
    seen_serials: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if report.rows > max_rows:
            raise ValidationFailed(N_("At most %(max)s rows per file."), values={"max": max_rows},
                                   code="too_many_rows")
        errors = _check_row(line, cells, index, orgs, org_ids, specs, actor, base, on)
        if isinstance(errors, list):
            report.errors.extend(errors)
            continue
        reg = errors
        if reg.code in seen_codes:
            report.errors.append(RowError(line, "code", "duplicate_in_file",
                                          f"Same code as line {seen_codes[reg.code]}."))
            continue
        key = serial_identity(reg.manufacturer, reg.serial_no)
        if key in seen_serials:
            report.errors.append(RowError(line, "serial_no", "duplicate_in_file",
                                          f"Same serial as line {seen_serials[key]}."))
            continue
        seen_codes[reg.code] = line
        seen_serials[key] = line
        candidates.append((line, reg, key))
        if progress and report.rows % 1000 == 0:
            progress(1000)
    good = _check_against_database(candidates, report)
    report.errors.sort(key=lambda e: e.line)
    _point_at_cells(report.errors, header)
    bad_lines = {e.line for e in report.errors}
    report.skipped = len(bad_lines)
    if report.errors and not skip_invalid:
        before = sum(e.code == "already_registered" for e in report.errors)
        raise ImportRejected(
            N_("%(bad)s of %(rows)s rows are invalid (%(before)s were imported before); "
               "nothing was imported.") if before else
            N_("%(bad)s of %(rows)s rows are invalid; nothing was imported."),
            values={"bad": len(bad_lines), "rows": report.rows, "before": before},
            details=report.to_dict())
    if not dry_run:
        _insert(actor, good, specs, rules, on)
        report.imported = len(good)
        if len(good) >= ANALYZE_AFTER_ROWS:
            refresh_statistics()
    return report


def _point_at_cells(errors: list[RowError], header: Header) -> None:
    """Name each error's column as the file does, and its cell, so a clerk finds it."""
    for error in errors:
        position = header.index.get(error.column)
        if position is not None:
            error.header = header.names[position].strip()
            error.cell = f"{get_column_letter(header.first_column + position + 1)}{error.line}"


def refresh_statistics() -> None:
    """ANALYZE the tables an import fills (PostgreSQL; part of the import's transaction).

    Until autovacuum gets round to it (never, where it is switched off), the planner keeps
    the picture of the tables from before the import; statements the driver prepared on
    that picture keep their plans, e.g. scans that suited a near-empty table. ANALYZE
    replaces the statistics and makes PostgreSQL re-plan those statements.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE cylinders, events, codes"))


def _check_row(line: int, cells: list[str], index: dict[str, int], orgs: dict[str, int],
               org_ids: set[int], specs: dict, actor: User, base: str,
               on: dt.date) -> Registration | list[RowError]:
    def cell(key: str) -> str:
        pos = index.get(key)
        return cells[pos].strip() if pos is not None and pos < len(cells) else ""

    errors: list[RowError] = []
    for key in REQUIRED:
        if not cell(key):
            errors.append(RowError(line, key, "required", f"{key} is empty."))
    if errors:
        return errors
    try:
        code = parse_code(cell("code"), base).code
    except CodeError as exc:
        errors.append(RowError(line, "code", exc.code, str(exc)))
        code = ""
    owner_text = cell("owner")
    owner_id = int(owner_text) if _is_number(owner_text) else orgs.get(owner_text)
    if owner_id is None or owner_id not in org_ids:
        errors.append(RowError(line, "owner", "unknown_org", f"No organisation {owner_text!r}."))
    elif not is_oversight(actor) and owner_id != actor.org_id:
        errors.append(RowError(line, "owner", "forbidden", "Not your organisation."))
    model = cell("model")
    spec = find_spec(specs, model)
    if spec is not None:
        model = spec.model  # stored in the model table's spelling
    if spec is None:
        errors.append(RowError(line, "model", "unknown_model", f"Unknown model {model!r}."))
    elif spec.banned:
        errors.append(RowError(line, "model", "banned_model", f"Model {model} is banned."))
    dates: dict[str, dt.date | None] = {}
    for key in ("manufactured_on", "last_inspected_on"):
        text = cell(key)
        try:
            dates[key] = parse_date(text) if text else None
        except ValueError as exc:
            errors.append(RowError(line, key, "invalid_date", f"{text!r}: {exc}."))
    life_text = cell("design_life_years")
    life = None
    if life_text:
        if _is_number(life_text):
            life = int(life_text)
        else:
            errors.append(RowError(line, "design_life_years", "invalid_number",
                                   f"{life_text!r} is not a whole number of years."))
    if errors:
        return errors
    reg = Registration(code=code, serial_no=cell("serial_no"), manufacturer=cell("manufacturer"),
                       model=model, manufactured_on=dates["manufactured_on"],
                       owner_org_id=owner_id, registration_no=cell("registration_no") or None,
                       last_inspected_on=dates["last_inspected_on"], design_life_years=life)
    problems = validate_registration(reg, on)
    if problems:
        return [RowError(line, f, c, m) for f, c, m in problems]
    return reg


def _is_number(text: str) -> bool:
    """Plain digits: str.isdigit() also takes "²" and "①", which int() refuses."""
    return text.isascii() and text.isdigit()


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _check_against_database(candidates: list[tuple[int, Registration, tuple[str, str]]],
                            report: ImportReport) -> list[Registration]:
    codes: dict[str, tuple[str, int]] = {}
    for chunk in _chunks([reg.code for _, reg, _ in candidates]):
        for row in db.session.execute(select(Code.code, Code.status, Code.owner_org_id)
                                      .where(Code.code.in_(chunk))):
            codes[row.code] = (row.status, row.owner_org_id)
    # A bound code whose cylinder has this row's maker and serial: the file was sent before
    bound = [code for code, (status, _) in codes.items() if status != "issued"]
    registered: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(bound):
        for row in db.session.execute(select(Cylinder.code, Cylinder.manufacturer,
                                             Cylinder.serial_no).where(Cylinder.code.in_(chunk))):
            registered[row.code] = (row.manufacturer, row.serial_no)
    taken: set[tuple[str, str]] = set()
    keys = [key for _, _, key in candidates]
    for chunk in _chunks(keys, 500):
        taken.update(tuple(r) for r in db.session.execute(
            select(Cylinder.manufacturer_key, Cylinder.serial_key)
            .where(tuple_(Cylinder.manufacturer_key, Cylinder.serial_key).in_(chunk))))
    good = []
    for line, reg, key in candidates:
        found = codes.get(reg.code)
        if found is None:
            report.errors.append(RowError(line, "code", "unknown_code", "Code was never issued."))
        elif registered.get(reg.code) == (reg.manufacturer, reg.serial_no):
            report.errors.append(RowError(
                line, "code", "already_registered",
                "Imported before: this code is bound to this manufacturer's serial already."))
        elif found[0] != "issued":
            report.errors.append(RowError(line, "code", "code_already_bound",
                                          "Code is bound to a cylinder already."))
        elif found[1] != reg.owner_org_id:
            report.errors.append(RowError(line, "code", "code_owner_mismatch",
                                          "Code was issued to another organisation."))
        elif key in taken:
            report.errors.append(RowError(line, "serial_no", "duplicate_serial",
                                          "This manufacturer's serial is registered already."))
        else:
            good.append(reg)
    return good


def _insert(actor: User, regs: list[Registration], specs: dict, rules: object,
            on: dt.date) -> None:
    """Insert cylinders and their first chained event with Core statements (no ORM objects).

    The event hash covers the code, not the row id, so it is computed before the insert and
    the cylinder row is written with its chain head in one pass.
    """
    now = utcnow()
    cylinders, events = Cylinder.__table__, Event.__table__
    for chunk in _chunks(regs):
        values, firsts = [], []
        for reg in chunk:
            life = reg.design_life_years or default_design_life(reg.manufactured_on, rules)
            facts = CylinderFacts(reg.manufactured_on, reg.last_inspected_on, life)
            state = derive_state(facts, specs[reg.model], rules, on)
            row = {
                "code": reg.code, "serial_no": reg.serial_no, "manufacturer": reg.manufacturer,
                "model": reg.model, "manufactured_on": reg.manufactured_on,
                "owner_org_id": reg.owner_org_id, "registration_no": reg.registration_no,
                "last_inspected_on": reg.last_inspected_on, "design_life_years": life,
                "life_extended_until": None, "refurbished": False,
                "next_inspection_due": state.next_inspection_due,
                "service_life_ends": state.service_life_ends, "created_at": now,
                "event_count": 1}
            event = SimpleNamespace(
                id=uuid.uuid4(), seq=1, type="registered", actor_user_id=actor.id,
                actor_org_id=actor.org_id, occurred_at=now, received_at=now, lat=None, lon=None,
                place=None, data={"serial_no": reg.serial_no, "manufacturer": reg.manufacturer,
                                  "manufactured_on": reg.manufactured_on.isoformat(),
                                  "source": "import"},
                before=None, after=snapshot_values(row, state.status), prev_hash=GENESIS_HASH)
            event.hash = event_hash(chained_fields(event, reg.code), GENESIS_HASH)
            row["chain_head"] = event.hash
            values.append(row)
            firsts.append(event)
        ids = dict(db.session.execute(
            insert(cylinders).returning(cylinders.c.code, cylinders.c.id,
                                        sort_by_parameter_order=True), values).tuples().all())
        db.session.execute(insert(events), [
            {**vars(event), "cylinder_id": ids[reg.code]}
            for event, reg in zip(firsts, chunk, strict=True)])
        db.session.execute(update(Code).where(Code.code.in_([r.code for r in chunk]))
                           .values(status="bound"))
