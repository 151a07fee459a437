"""Request schemas for billing: top-ups, ledger queries and the platform settings."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from onepizza.schemas.query import PageQuerySchema, QueryInt

LEDGER_TYPES = (
    "stripe_topup",
    "usdc_deposit",
    "meeting_charge",
    "admin_credit",
    "refund",
    "company_transfer",
    "welcome_credit",
)


class JsonNumber(fields.Decimal):
    """A JSON number (not a string, not a boolean) read as a Decimal."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _places(data: dict, name: str, places: int) -> None:
    value = data.get(name)
    if value is not None and value.as_tuple().exponent < -places:
        raise ValidationError(f"{name} has at most {places} decimals", field_name=name)


class CheckoutSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    amountUsd = JsonNumber(required=True, places=None, validate=validate.Range(min=5, max=1000))

    @validates_schema
    def cents(self, data, **_kwargs):
        _places(data, "amountUsd", 2)


class PlatformSettingsSchema(Schema):
    """PATCH /admin/api/settings: any of the settings; anything else is refused."""

    class Meta:
        unknown = RAISE

    rate_per_participant_minute = fields.Decimal(
        places=None, validate=validate.Range(min=0, min_inclusive=False, max=100)
    )
    low_balance_threshold = fields.Decimal(
        places=None, validate=validate.Range(min=0, min_inclusive=False, max=1_000_000)
    )
    # What a new account starts with; 0 turns the welcome credit off.
    welcome_credit_usd = fields.Decimal(places=None, validate=validate.Range(min=0, max=1_000))

    @validates_schema
    def four_places(self, data, **_kwargs):
        if not data:
            raise ValidationError("Nothing to change: send at least one setting")
        for name in data:
            _places(data, name, 4)


class HistoryQuerySchema(PageQuerySchema):
    before = QueryInt(load_default=None, validate=validate.Range(min=1))


class AdminTransactionsQuerySchema(PageQuerySchema):
    userId = QueryInt(load_default=None, validate=validate.Range(min=1))
    companyId = QueryInt(load_default=None, validate=validate.Range(min=1))
    type = fields.String(load_default=None, validate=validate.OneOf(LEDGER_TYPES))

    @validates_schema
    def one_account(self, data, **_kwargs):
        if data.get("userId") is not None and data.get("companyId") is not None:
            raise ValidationError("Filter by userId or companyId, not both")
