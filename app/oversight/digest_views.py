"""The chain digests page (链头摘要): take a digest, see the latest ones to copy down, recompute
one, and prove a digest kept outside the database against the events stored now."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.policy import allow
from app.errors import APIError, page_message
from app.extensions import db
from app.oversight import digests
from app.oversight.services import require_regulator
from app.query_args import id_arg

bp = Blueprint("chain_digests", __name__, url_prefix="/oversight/chain",
               template_folder="templates")


@bp.route("/")
@allow("admin", "regulator")
def index() -> tuple[str, int]:
    """The latest digests; with ?check=ID one recomputed, with ?cutoff&digest a proof."""
    require_regulator(current_user)
    check = proof = error = None
    form = {"cutoff": request.args.get("cutoff", ""), "digest": request.args.get("digest", "")}
    try:
        if request.args.get("check"):
            check = digests.check_stored(current_user, id_arg("check"))
        if form["cutoff"] or form["digest"]:
            cutoff = digests.parse_cutoff(form["cutoff"])
            proof = digests.prove(current_user, cutoff, form["digest"])
    except APIError as exc:
        error = page_message(exc)
    rows = digests.recent_digests()
    return render_template("oversight/digests.html", rows=rows,
                           overdue=digests.digest_overdue(rows), check=check, proof=proof,
                           error=error, form=form,
                           grouped=digests.grouped, local=digests.local_text), 400 if error else 200


@bp.route("/", methods=["POST"])
@allow("admin", "regulator")
def take() -> Response:
    """Take a digest now and show it at the top of the list."""
    try:
        row = digests.take_digest(current_user)
    except APIError as exc:
        db.session.rollback()
        flash(page_message(exc), "bad")
        return redirect(url_for("chain_digests.index"), 303)
    flash(_("Digest taken. Copy it (or print this page) and keep it outside the system."), "ok")
    return redirect(url_for("chain_digests.index", taken=row.id), 303)
