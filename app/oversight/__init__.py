"""Oversight: regulators' search and history, flags, black cylinders, inspections, reports,
and the public page behind every QR code."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

_registered = False


def register_oversight(app: Flask) -> None:
    """Hook into the registry (fill check, event observer) and add pages, API and CLI."""
    global _registered
    from app.extensions import api, csrf
    from app.oversight import models  # tables and indexes for the metadata; the trace table
    from app.oversight.api import blp
    from app.oversight.blacklist import blacklist_fill_check
    from app.oversight.blacklist_cache import init_blacklist_cache
    from app.oversight.cli import oversight_cli, report_cli
    from app.oversight.desk_views import bp as desk_pages
    from app.oversight.digest_api import blp as chain_blp
    from app.oversight.digest_cli import chain_cli
    from app.oversight.digest_views import bp as digest_pages
    from app.oversight.due_api import blp as due_blp
    from app.oversight.due_views import bp as due_pages
    from app.oversight.flag_views import bp as flag_pages
    from app.oversight.public_views import bp as public_pages
    from app.oversight.views import bp as pages
    from app.oversight.watch import TRACE, observe_event
    from app.traceability.checks import register_fill_check
    from app.traceability.events import on_event, read_with_lookup

    init_blacklist_cache(app)
    register_fill_check(blacklist_fill_check)
    on_event(observe_event)
    read_with_lookup(TRACE, models.CylinderTrace.__table__)
    for blueprint in (pages, flag_pages, due_pages, public_pages, desk_pages, digest_pages):
        app.register_blueprint(blueprint)
    for api_blueprint in (blp, due_blp, chain_blp):
        csrf.exempt(api_blueprint)
        api.register_blueprint(api_blueprint)
    app.cli.add_command(report_cli)
    app.cli.add_command(oversight_cli)
    app.cli.add_command(chain_cli)
    if not _registered:
        from app.web.nav import add_nav

        add_nav("oversight_desk.desk_page", _l("Inspection desk"), "inspector")
        add_nav("oversight.search", _l("Search cylinders"), "regulator", "inspector", "admin")
        add_nav("oversight_due.due", _l("Expiry alerts"), "admin", "regulator", "inspector")
        add_nav("oversight_flags.flags", _l("Flags"), "regulator")
        add_nav("oversight.blacklist_page", _l("Blacklist"), "regulator")
        add_nav("oversight.reports", _l("Monthly report"), "regulator", "admin")
        add_nav("chain_digests.index", _l("Chain digests"), "regulator")
        _registered = True
