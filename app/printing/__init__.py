"""Label production for print shops: batch assignment, downloads, reprints and their audit;
and the owner's page for ordering code batches and giving them to a print shop."""
from __future__ import annotations

from flask import Flask

_registered = False


def register_printing(app: Flask) -> None:
    """Attach the pages and their navigation entries (once: the menu is shared by every app)."""
    global _registered
    from flask_babel import lazy_gettext as _l

    from app.printing.batch_views import bp as batch_pages
    from app.printing.views import bp as printing_pages
    from app.web.nav import add_nav

    app.register_blueprint(printing_pages)
    app.register_blueprint(batch_pages)
    if not _registered:
        add_nav("printing.index", _l("Label printing"), "printer", "admin", "regulator")
        add_nav("code_batches.batches", _l("Code batches"), "admin", "regulator")
        _registered = True
