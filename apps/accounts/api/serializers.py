from django.contrib.auth import password_validation
from rest_framework import serializers

from apps.accounts.models import Role, User


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "date_joined"]
        read_only_fields = fields


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, data):
        candidate = User(email=data["email"], full_name=data["full_name"])
        try:
            password_validation.validate_password(data["password"], candidate)
        except Exception as error:  # django's ValidationError: field-level message
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return data


class ProfileInput(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)


class TokenInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordResetInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class ResetLinkOutput(serializers.Serializer):
    url = serializers.URLField()
