"""Rules of label production: who may print which codes, and an audit of every print."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, update

from app.auth.models import Organisation, User
from app.auth.policy import is_oversight
from app.database import utcnow
from app.errors import N_, Conflict, Forbidden, NotFound, Term, ValidationFailed
from app.extensions import db
from app.locks import lock_name
from app.printing.models import PrintedCode, PrintJob
from app.text_fields import require_clean_text
from app.traceability.codes import payload_for
from app.traceability.models import Code, CodeBatch, Cylinder
from app.traceability.services import parse
from labels import CjkFont, FontError, Label, Template, TemplateError, load_font, load_templates

BATCH_STATUSES = ("issued", "assigned", "printed", "delivered")
FORMATS = ("pdf", "zpl", "png", "svg", "preview")
MAX_REPRINT = 5000
DEFAULT_TEMPLATE = "a4-3x8-70x37"  # when a download names none
MAX_REASON = 500  # characters of a reprint's reason, on every path that takes one
IN_CHUNK = 5000  # codes per IN list (a batch holds up to 100,000)
# the lines a label prints from stored data, as the refusal names them
LABEL_TEXTS = {"owner_name": N_("owner's name"), "model": N_("model"),
               "serial_no": N_("serial number")}
NO_BATCH = N_("No code batch %(id)s.")
# a batch's status inside a refusal's sentence
BATCH_STATES = {"issued": N_("issued"), "assigned": N_("assigned"), "printed": N_("printed"),
                "delivered": N_("delivered")}


def templates() -> dict[str, Template]:
    """Shipped templates plus any dropped into instance/label-templates (no code needed)."""
    extra = Path(current_app.config["INSTANCE_DIR"]) / "label-templates"
    try:
        return load_templates([extra] if extra.is_dir() else [])
    except TemplateError as exc:
        raise ValidationFailed(N_("A label template is invalid: %(problem)s"),
                               values={"problem": str(exc)}, code="invalid_template") from exc


def template_named(name: str) -> Template:
    """Return a template by name or refuse with the known names."""
    found = templates()
    if name not in found:
        raise ValidationFailed(N_("Unknown template %(name)s; known: %(known)s."),
                               values={"name": repr(name), "known": ", ".join(sorted(found))},
                               code="unknown_template")
    return found[name]


def _may_manage(actor: User, batch: CodeBatch) -> bool:
    return is_oversight(actor) or (actor.role == "admin" and actor.org_id == batch.owner_org_id)


def _batch(batch_id: int, lock: bool) -> CodeBatch | None:
    """The batch; with `lock` its row locked and read afresh, so two steps on one batch at
    once (printed twice, printed and re-assigned) run one after the other and the second
    sees the first's status (SQLite writers hold the write lock)."""
    return db.session.get(CodeBatch, batch_id, with_for_update=lock or None,
                          populate_existing=lock)


def visible_batch(actor: User, batch_id: int, *, lock: bool = False) -> CodeBatch:
    """Return a batch the actor may see: printers only their assigned ones."""
    batch = _batch(batch_id, lock)
    if batch is None:
        raise NotFound(NO_BATCH, values={"id": batch_id})
    if actor.role == "printer":
        if batch.printer_org_id != actor.org_id:
            raise NotFound(NO_BATCH, values={"id": batch_id})
    elif not _may_manage(actor, batch):
        raise NotFound(NO_BATCH, values={"id": batch_id})
    return batch


def batches_for(actor: User) -> list[CodeBatch]:
    """List the batches an actor works with, newest first."""
    query = select(CodeBatch).order_by(CodeBatch.id.desc()).limit(200)
    if actor.role == "printer":
        query = query.where(CodeBatch.printer_org_id == actor.org_id)
    elif not is_oversight(actor):
        query = query.where(CodeBatch.owner_org_id == actor.org_id)
    return list(db.session.scalars(query))


def assign_batch(actor: User, batch_id: int, printer_org_id: int) -> CodeBatch:
    """Give a batch to a print shop; only that shop can then download its labels."""
    batch = _batch(batch_id, lock=True)
    if batch is None or not _may_manage(actor, batch):
        raise NotFound(NO_BATCH, values={"id": batch_id})
    printer = db.session.get(Organisation, printer_org_id)
    if printer is None or printer.kind != "printer":
        raise ValidationFailed(N_("printer_org_id must be a printer organisation."),
                               code="not_a_printer")
    if batch.status in ("printed", "delivered"):
        raise Conflict(N_("This batch is printed already."), code="batch_already_printed")
    batch.printer_org_id = printer.id
    batch.status = "assigned"
    return batch


def set_batch_status(actor: User, batch_id: int, status: str) -> CodeBatch:
    """Mark a batch printed (by its printer) or delivered (printer or owner)."""
    batch = visible_batch(actor, batch_id, lock=True)
    order = {s: i for i, s in enumerate(BATCH_STATUSES)}
    if status not in ("printed", "delivered"):
        raise ValidationFailed(N_("status must be printed or delivered."), code="invalid_status")
    if status == "printed" and actor.role != "printer":
        raise Forbidden(N_("Only the print shop marks a batch printed."))
    if order[status] <= order[batch.status]:
        raise Conflict(N_("The batch is %(status)s already."),
                       values={"status": Term(batch.status, BATCH_STATES)},
                       code="invalid_transition")
    if status == "delivered" and batch.status != "printed":
        raise Conflict(N_("A batch is delivered after it is printed."),
                       code="invalid_transition")
    batch.status = status
    return batch


@dataclass
class PrintRequest:
    labels: list[Label]
    template: Template
    job: PrintJob


def _labels(codes: list[str]) -> list[Label]:
    """Build the labels, refusing (409) any whose stored text the label cannot print."""
    base = current_app.config["PUBLIC_BASE_URL"]
    by_code = {}
    for chunk in _chunks(codes):
        by_code.update((r.code, r) for r in db.session.execute(
            select(Code.code, Organisation.name, Cylinder.model, Cylinder.serial_no)
            .join(Organisation, Organisation.id == Code.owner_org_id)
            .outerjoin(Cylinder, Cylinder.code == Code.code)
            .where(Code.code.in_(chunk))))
    font, printable = load_font(), set()
    for c in codes:
        texts = {"owner_name": by_code[c].name, "model": by_code[c].model,
                 "serial_no": by_code[c].serial_no}
        for field, text in texts.items():
            if text and text not in printable:
                _check_printable(c, field, text, font)
                printable.add(text)
    return [Label(code=c, payload=payload_for(c, base), owner_name=by_code[c].name,
                  model=by_code[c].model, serial_no=by_code[c].serial_no) for c in codes]


def _check_printable(code: str, field: str, text: str, font: CjkFont) -> None:
    """Refuse a text with a control character or one the label font has no glyph for.

    The renderer would raise half-way through a sheet; the print shop cannot fix the
    record, so the refusal names the code, the field and the character for its owner.
    """
    for ch in text:
        if ch >= " ":
            try:
                font.glyph(ch)
                continue
            except FontError:
                pass
        character = f"U+{ord(ch):04X}"
        raise Conflict(
            N_("The label of code %(code)s cannot be printed: its %(field)s %(text)s contains "
               "%(character)s, which labels cannot print. Correct the record first."),
            values={"code": code, "field": Term(LABEL_TEXTS[field]), "text": repr(text),
                    "character": character},
            code="label_text_unprintable",
            details={"code": code, "field": field, "character": character})


def _record(actor: User, codes: list[str], template: Template, fmt: str, skip: int,
            batch_id: int | None, reason: str | None) -> PrintJob:
    """Record the job; printing a code again needs a reason and is marked a reprint."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:  # the schemas check it; the page not
        raise ValidationFailed(N_("The reason is at most %(max)s characters."),
                               values={"max": MAX_REASON}, code="reason_too_long")
    require_clean_text(reason, "reason", multiline=True, label=N_("Reason"))
    # two downloads at once must not both count as the first print (PostgreSQL; SQLite
    # writers queue anyway): print jobs are rare, so one lock for all of them is enough
    lock_name("printing:record")
    already = set()
    for chunk in _chunks(codes):
        already.update(db.session.scalars(select(PrintedCode.code)
                                          .where(PrintedCode.code.in_(chunk))))
    counts_as_print = fmt != "preview"
    reprint = counts_as_print and bool(already)
    if reprint and not reason:
        raise Conflict(N_("%(n)s of these codes were printed before; a reprint needs a reason."),
                       values={"n": len(already)}, code="reprint_reason_required",
                       details={"printed_before": sorted(already)[:50]})
    job = PrintJob(batch_id=batch_id, user_id=actor.id, org_id=actor.org_id,
                   template=template.name, format=fmt, skip=skip, code_count=len(codes),
                   codes=codes, reprint=reprint, reason=reason)
    db.session.add(job)
    db.session.flush()
    if counts_as_print:
        now = utcnow()
        for chunk in _chunks(sorted(already)):
            db.session.execute(update(PrintedCode).where(PrintedCode.code.in_(chunk))
                               .values(times_printed=PrintedCode.times_printed + 1,
                                       last_printed_at=now)
                               .execution_options(synchronize_session=False))
        for chunk in _chunks([c for c in codes if c not in already]):
            db.session.execute(insert(PrintedCode), [
                {"code": c, "first_job_id": job.id, "times_printed": 1, "last_printed_at": now}
                for c in chunk])
    return job


def _chunks(items: list[str], size: int = IN_CHUNK) -> list[list[str]]:
    """Split a code list for IN queries: PostgreSQL takes at most 65,535 parameters."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def _check_skip(template: Template, skip: int) -> None:
    """The labels start after `skip` used cells of the first sheet: it must be one of them."""
    if skip < 0 or skip >= template.per_page:
        raise ValidationFailed(N_("skip must be 0..%(last)s for this template."),
                               values={"last": template.per_page - 1}, code="invalid_skip")


def print_batch(actor: User, batch_id: int, template_name: str, fmt: str, skip: int = 0,
                reason: str | None = None) -> PrintRequest:
    """Prepare a batch's labels for download and record the job."""
    if fmt not in FORMATS:
        raise ValidationFailed(N_("format must be one of %(choices)s."),
                               values={"choices": ", ".join(FORMATS)})
    batch = visible_batch(actor, batch_id)
    template = template_named(template_name)
    _check_skip(template, skip)
    # a code retired with its scrapped cylinder gets no new label (as in reprint_codes)
    codes = list(db.session.scalars(select(Code.code).where(Code.batch_id == batch.id,
                                                            Code.status != "retired")
                                    .order_by(Code.code)))
    if not codes:
        raise Conflict(N_("Every code of this batch was retired with its scrapped cylinder; "
                          "there is nothing to print."), code="no_codes_to_print")
    if fmt == "preview":
        codes = codes[:template.per_page - skip]
    labels = _labels(codes)
    job = _record(actor, codes, template, fmt, skip, batch.id, reason)
    return PrintRequest(labels, template, job)


def reprint_codes(actor: User, texts: list[str], template_name: str, fmt: str,
                  reason: str, skip: int = 0) -> PrintRequest:
    """Print a hand-picked list of codes (e.g. damaged labels); always needs a reason."""
    if not texts or len(texts) > MAX_REPRINT:
        raise ValidationFailed(N_("Send 1 to %(max)s codes."), values={"max": MAX_REPRINT},
                               code="invalid_codes")
    if not reason or not reason.strip():
        raise ValidationFailed(N_("A reprint needs a reason."), code="reprint_reason_required")
    codes = _printable_codes(actor, texts)
    template = template_named(template_name)
    _check_skip(template, skip)
    labels = _labels(codes)
    job = _record(actor, codes, template, fmt, skip, None, reason)
    job.reprint = True
    return PrintRequest(labels, template, job)


def label_artwork(actor: User, text: str, template_name: str, fmt: str,
                  reason: str | None) -> PrintRequest:
    """One code's label as PNG or SVG artwork: a print like any other, so a code printed
    before needs the reason a reprint needs (it was given a made-up one, and any code could
    be printed again without a word in the audit)."""
    codes = _printable_codes(actor, [text])
    template = template_named(template_name)
    labels = _labels(codes)
    job = _record(actor, codes, template, fmt, 0, None, reason)
    return PrintRequest(labels, template, job)


def _printable_codes(actor: User, texts: list[str]) -> list[str]:
    """The codes named, each one the actor may print and not retired, once each."""
    codes = list(dict.fromkeys(parse(t) for t in texts))
    rows = db.session.execute(select(Code.code, Code.status, CodeBatch.id,
                                     CodeBatch.printer_org_id, CodeBatch.owner_org_id)
                              .join(CodeBatch, CodeBatch.id == Code.batch_id)
                              .where(Code.code.in_(codes))).all()
    found = {r.code: r for r in rows}
    for code in codes:
        row = found.get(code)
        allowed = row is not None and (
            (actor.role == "printer" and row.printer_org_id == actor.org_id)
            or is_oversight(actor) or (actor.role == "admin" and row.owner_org_id == actor.org_id))
        if not allowed:
            raise NotFound(N_("Code %(code)s is not one you may print."), values={"code": code},
                           code="code_not_found")
        if row.status == "retired":  # a fresh label would put a dead code on a cylinder
            raise Conflict(N_("Code %(code)s was retired with its scrapped cylinder; it gets no "
                              "new labels."), values={"code": code}, code="code_retired")
    return codes


def jobs_for(actor: User, reprints_only: bool = False) -> list[PrintJob]:
    """List print jobs: regulators see all, others their organisation's."""
    query = select(PrintJob).order_by(PrintJob.id.desc()).limit(500)
    if not is_oversight(actor):
        query = query.where(PrintJob.org_id == actor.org_id)
    if reprints_only:
        query = query.where(PrintJob.reprint.is_(True))
    return list(db.session.scalars(query))
