"""Query-string schemas shared by the endpoints: whole numbers and pagination."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class QueryInt(fields.Integer):
    """A query-string whole number: ASCII digits only (no sign, no spaces, no 1_000)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        if len(value) > 18:
            raise ValidationError("Number too large")
        return super()._deserialize(value, attr, data, **kwargs)


class PageQuerySchema(Schema):
    """`limit` (1-200, default 50) and `offset` of a paginated list."""

    class Meta:
        unknown = EXCLUDE

    limit = QueryInt(load_default=50, validate=validate.Range(min=1, max=200))
    offset = QueryInt(load_default=0, validate=validate.Range(min=0, max=10**9))
