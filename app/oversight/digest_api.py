"""JSON API of chain digests: take one, list them, recompute one, prove a digest kept outside."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.policy import allow
from app.oversight import digests
from app.oversight.models import ChainDigest
from app.oversight.services import require_regulator

blp = Blueprint("chain_api", __name__, url_prefix="/api/v1/chain",
                description="Chain digests: every cylinder's chain head folded into one value "
                            "to keep outside the database, and the proof against it later")


class DigestOut(Schema):
    id = fields.Int()
    cutoff = fields.AwareDateTime(metadata={"description": "covers events received before it"})
    taken_at = fields.AwareDateTime()
    taken_by_id = fields.Int(allow_none=True)
    cylinders = fields.Int()
    events = fields.Int()
    root = fields.Str(metadata={"description": "SHA-256, 64 hex characters"})
    grouped = fields.Function(lambda row: digests.grouped(row.root),
                              metadata={"description": "the root in groups of four"})


class DigestListOut(Schema):
    items = fields.List(fields.Nested(DigestOut))


class FoldOut(Schema):
    cylinders = fields.Int()
    events = fields.Int()
    root = fields.Str()


class DigestCheckOut(Schema):
    digest = fields.Nested(DigestOut)
    recomputed = fields.Nested(FoldOut)
    matches = fields.Bool(metadata={"description": "the stored digest equals the events now"})


class ProofIn(Schema):
    cutoff = fields.AwareDateTime(required=True,
                                  metadata={"description": "the digest's cutoff, as kept"})
    digest = fields.Str(required=True, validate=validate.Length(max=200),
                        metadata={"description": "the digest as kept: 16 to 64 hex characters, "
                                                 "spaces and dashes ignored"})


class ProofOut(Schema):
    cutoff = fields.AwareDateTime()
    held = fields.Str()
    recomputed = fields.Nested(FoldOut)
    matches = fields.Bool(metadata={"description": "what was kept equals the events now"})


@blp.route("/digests", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, DigestListOut)
def list_digests() -> dict:
    """The latest digests, newest first (regulators)."""
    require_regulator(current_user)
    return {"items": digests.recent_digests()}


@blp.route("/digests", methods=["POST"])
@allow("admin", "regulator")
@blp.response(201, DigestOut)
def take_digest() -> ChainDigest:
    """Take a digest now; it covers events received up to 10 minutes ago (regulators)."""
    return digests.take_digest(current_user)


@blp.route("/digests/<int:digest_id>/check", methods=["GET"])
@allow("admin", "regulator")
@blp.response(200, DigestCheckOut)
def check_digest(digest_id: int) -> dict:
    """Recompute a stored digest from the events stored now."""
    check = digests.check_stored(current_user, digest_id)
    return {"digest": check.digest, "recomputed": check.recomputed, "matches": check.matches}


@blp.route("/proofs", methods=["POST"])
@allow("admin", "regulator")
@blp.arguments(ProofIn)
@blp.response(200, ProofOut)
def prove(body: dict) -> dict:
    """Compare a digest kept outside the database with the events stored now. Uses no stored
    digest: it holds even if the digests table was rewritten."""
    proof = digests.prove(current_user, body["cutoff"], body["digest"])
    return {"cutoff": proof.cutoff, "held": proof.held, "recomputed": proof.recomputed,
            "matches": proof.matches}
