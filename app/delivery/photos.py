"""Photos from the door: data URLs in, checked images stored, codes read from them."""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re

from PIL import Image, UnidentifiedImageError

from app.delivery.models import Photo
from app.errors import N_, ValidationFailed
from app.extensions import db
from app.traceability.codes import CodeError, parse_code

MAX_PHOTO_BYTES = 8 * 1024 * 1024
# A phone photo has 12-50 megapixels; a few hundred bytes of PNG can claim billions, which
# whoever opens the stored photo would have to decode (the scanner's limit, app.scan).
MAX_PHOTO_PIXELS = 50_000_000
DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=-]+)*;base64,", re.IGNORECASE)
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def decode_photo(text: str) -> bytes:
    """Accept a data URL or bare base64 and return the bytes, or refuse with a 400."""
    if not isinstance(text, str) or not text:
        raise ValidationFailed(N_("The photo is empty."), code="invalid_photo")
    match = DATA_URL.match(text)
    raw = text[match.end():] if match else text
    if len(raw) > MAX_PHOTO_BYTES * 4 // 3 + 4:
        raise ValidationFailed(N_("The photo is larger than 8 MB."), code="photo_too_large")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(N_("The photo is not base64."), code="invalid_photo") from exc
    if not data:
        raise ValidationFailed(N_("The photo is empty."), code="invalid_photo")
    return data


def image_type(data: bytes) -> str:
    """The mimetype of an image file's bytes, or a 400 if it is not a picture."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PHOTO_PIXELS:
                raise Image.DecompressionBombError(f"{width}x{height}")
            img.verify()
            kind = FORMATS.get(img.format or "")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # not OSErrors (the warning is one where warnings are errors): they escaped as a 500
        raise ValidationFailed(N_("The photo has too many pixels (50 megapixels at most)."),
                               code="photo_too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ValidationFailed(N_("The photo is not a readable image."),
                               code="invalid_photo") from exc
    if kind is None:
        raise ValidationFailed(N_("Send JPEG, PNG, WebP or GIF photos."), code="invalid_photo")
    return kind


def store_photo(org_id: int, text: str) -> Photo:
    """Check and keep a photo given as a data URL."""
    data = decode_photo(text)
    photo = Photo(org_id=org_id, sha256=hashlib.sha256(data).hexdigest(),
                  mimetype=image_type(data), data=data)
    db.session.add(photo)
    db.session.flush()
    return photo


def code_in_photo(text: str, base_url: str) -> str:
    """Read the one cylinder code in a photo (thin: the scanner library does the reading)."""
    from app.scan import ImageRejected, decode_image

    data = decode_photo(text)
    try:
        found = decode_image(data)
    except ImageRejected as exc:
        raise ValidationFailed(exc.message, code=exc.code) from exc
    codes = set()
    for item in found:
        try:
            codes.add(parse_code(item.text, base_url).code)
        except CodeError:
            continue
    if not codes:
        raise ValidationFailed(N_("No cylinder code was found in the photo."),
                               code="no_code_in_photo")
    if len(codes) > 1:
        raise ValidationFailed(N_("The photo shows several cylinder codes; take one at a time."),
                               code="several_codes_in_photo")
    return codes.pop()
