"""Request schemas for accounts, API keys and company workspaces."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema


class NormalisedEmail(fields.Email):
    """An email address, trimmed and lower-cased before it is validated."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().lower()
        return super()._deserialize(value, attr, data, **kwargs)


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


class RegisterSchema(_Body):
    email = NormalisedEmail(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True)
    accountType = fields.String(
        load_default="personal", validate=validate.OneOf(["personal", "company"])
    )
    companyName = fields.String(load_default=None, validate=validate.Length(max=200))

    @validates_schema
    def company_needs_a_name(self, data, **_kwargs):
        name = (data.get("companyName") or "").strip()
        if data.get("accountType") == "company" and not name:
            raise ValidationError(
                "companyName is required for company accounts", field_name="companyName"
            )
        data["companyName"] = name or None


class LoginSchema(_Body):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(max=1000))


class ForgotPasswordSchema(_Body):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))


class ResetPasswordSchema(_Body):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True)


class ChangePasswordSchema(_Body):
    currentPassword = fields.String(required=True)
    newPassword = fields.String(required=True)


class CreateKeySchema(_Body):
    label = fields.String(load_default=None, validate=validate.Length(max=100))


class JoinCompanySchema(_Body):
    inviteCode = fields.String(required=True, validate=validate.Length(min=1, max=100))


class AdminCreditSchema(_Body):
    email = NormalisedEmail(load_default=None)
    userId = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1))
    amountUsd = fields.Decimal(
        required=True, places=None, validate=validate.Range(min=0, min_inclusive=False, max=1e6)
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def one_account(self, data, **_kwargs):
        if (data.get("email") is None) == (data.get("userId") is None):
            raise ValidationError("Give either email or userId")
        amount = data.get("amountUsd")
        if amount is not None and amount.as_tuple().exponent < -4:
            raise ValidationError("amountUsd has at most 4 decimals", field_name="amountUsd")
