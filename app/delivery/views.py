"""The driver's page: today's assignment, scanning, the checklist and the offline queue."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("delivery_pages", __name__, template_folder="templates")
