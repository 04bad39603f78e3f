from rest_framework import serializers

from apps.accounts.models import Role, User
from apps.accounts.selectors import normalize_email
from apps.accounts.services import validate_new_password
from kernel import errors


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "date_joined"]
        read_only_fields = fields


class NormalizedEmailField(serializers.EmailField):
    """An email in the one form accounts stores (selectors.normalize_email); a
    look-alike domain is this field's error."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=254, **kwargs)

    def to_internal_value(self, data) -> str:
        try:
            return normalize_email(super().to_internal_value(data))
        except errors.Invalid as error:
            raise serializers.ValidationError(error.fields["email"]) from error


class RegisterInput(serializers.Serializer):
    email = NormalizedEmailField()
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, data):
        # The password is compared with the email and the name it would belong to.
        candidate = User(email=data["email"], full_name=data["full_name"])
        try:
            validate_new_password(data["password"], candidate)
        except errors.Invalid as error:
            raise serializers.ValidationError(error.fields) from error
        return data


class ProfileInput(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)


class TokenInput(serializers.Serializer):
    email = NormalizedEmailField()
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordResetInput(serializers.Serializer):
    email = NormalizedEmailField()


class PasswordResetConfirmInput(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class ResetLinkOutput(serializers.Serializer):
    url = serializers.URLField()
