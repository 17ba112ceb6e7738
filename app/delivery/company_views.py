"""The gas company's pages: vehicles, areas on an SVG map, assignments, customers, ledger."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("company_pages", __name__, template_folder="templates", url_prefix="/company")
