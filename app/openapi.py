"""What the OpenAPI document says that no single view declares: how to authenticate, that
invalid fields are answered 400 (flask-smorest documents its own default, 422), and the
Idempotency-Key header every POST takes (app/idempotency.py)."""
from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin

from app.idempotency import HEADER, MAX_KEY

BEARER = "bearerAuth"
DESCRIPTION = """\
Every call sends `Authorization: Bearer <token>` (an admin issues tokens on the `/users`
page; a signed-in user with `POST /api/v1/tokens`). Answers are JSON; every refusal is a 4xx with
`{"error": {"code": "...", "message": "..."}}` and sometimes `details`:

- 400: invalid fields (`validation_error`, `details` names each field by where it was sent:
  `{"json": {"count": ["..."]}}`) or a refused value (its own `code`);
- 401: no token, an unknown, revoked (`invalid_token`) or expired one (`token_expired`);
- 403: the role may not call this operation (`role_forbidden`) or act on this organisation;
- 404: nothing with this id that the caller may see (another organisation's rows included);
- 409: the state forbids it (a refusal at the scale, a reprint without a reason, an overlap);
- 422: an `Idempotency-Key` reused for a different request (`idempotency_key_reused`);
- 429: too many requests.

Any POST may carry an `Idempotency-Key` (at most 100 characters): a retry with the same key
and the same request is answered with the first success, stored with the work, plus the
header `Idempotent-Replayed: true`; refusals are not stored. Scans carry their own
`event_id` as well. Lists that page say so in their parameters (`page`/`per_page` with
`total`, or `limit`/`offset`).
"""
VALIDATION_FAILED = {
    "description": "Invalid fields: error code `validation_error`, `details` by location "
                   "and field",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
KEY_REUSED = {
    "description": "The Idempotency-Key was used for a different request",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
IDEMPOTENCY_KEY = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY},
    "description": "Retry safely: the same key and request replay the first success.",
}


class ServiceConventions(BasePlugin):
    """Document the answers the service gives to every operation as it gives them."""

    def init_spec(self, spec: APISpec) -> None:
        """Declare bearer tokens as the way in, for every operation and Swagger UI's button."""
        spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer"})
        spec.components.response("VALIDATION_FAILED", VALIDATION_FAILED)
        spec.components.response("IDEMPOTENCY_KEY_REUSED", KEY_REUSED)
        spec.components.parameter("IDEMPOTENCY_KEY", "header", IDEMPOTENCY_KEY)
        spec.options.setdefault("security", [{BEARER: []}])
        spec.options.setdefault("info", {}).setdefault("description", DESCRIPTION)

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        """Invalid fields answer 400 (app/errors.py), not flask-smorest's 422; a POST takes
        an Idempotency-Key and answers 422 when the key was used for another request."""
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in (422, "422"):
                if status in responses:
                    del responses[status]
                    responses["400"] = "VALIDATION_FAILED"
            if method.lower() == "post":
                responses["422"] = "IDEMPOTENCY_KEY_REUSED"
                operation.setdefault("parameters", []).append("IDEMPOTENCY_KEY")
