"""The interlock by photo: read every code in the picture and check each one."""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

from flask import current_app

from app.auth.models import User
from app.errors import APIError, ValidationFailed
from app.filling.services import Outcome, Presented, present_cylinder
from app.scan import ImageRejected, decode_image
from app.traceability.codes import CodeError, parse_code
from app.traceability.services import public_base_url

# Too large for the server to take: 413; a file that is no picture we read: 415; else 400.
REJECTION_STATUS = {"image_too_large": 413, "image_dimensions_too_large": 413,
                    "unsupported_image": 415, "empty_image": 400, "corrupt_image": 400}


@dataclass(frozen=True)
class Seen:
    text: str
    points: tuple[tuple[float, float], ...]


def codes_in_photo(data: bytes) -> list[Seen]:
    """Decode every QR code in an upload, once per cylinder, or answer a 4xx for a bad file."""
    try:
        found = decode_image(data, max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    except ImageRejected as exc:
        raise APIError(exc.message, code=exc.code,
                       status=REJECTION_STATUS.get(exc.code, 400)) from exc
    seen: dict[str, Seen] = {}
    for item in found:
        key = _identity(item.text)
        if key not in seen:  # a cylinder often carries its label twice, front and back
            seen[key] = Seen(item.text, tuple(item.points))
    return list(seen.values())


def _identity(text: str) -> str:
    try:
        return parse_code(text, public_base_url()).code
    except CodeError:
        return text


def present_photo(user: User, data: bytes, common: Presented) -> list[tuple[Seen, Outcome]]:
    """Check every code in the photo; several codes get event ids derived from the client's."""
    seen = codes_in_photo(data)
    if not seen:
        raise APIError("No QR code was found in the photo; take it again, closer and sharper.",
                       code="no_code_found", status=422)
    if common.net_mass_kg is not None and len(seen) > 1:
        raise ValidationFailed("The photo shows several codes; a net mass belongs to one "
                               "cylinder. Photograph one cylinder or leave the mass out.",
                               code="mass_needs_one_code")
    results = []
    for item in seen:
        event_id = common.event_id
        if event_id is not None and len(seen) > 1:
            event_id = uuid.uuid5(event_id, _identity(item.text))
        presented = dataclasses.replace(common, text=item.text, event_id=event_id)
        results.append((item, present_cylinder(user, presented)))
    return results
