"""How the OpenAPI schema (drf-spectacular) describes Hearth's authentication:
loaded by kernel's AppConfig.ready, so every deployable's schema has it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class UserTokenScheme(OpenApiAuthenticationExtension):
    target_class = "kernel.auth.authentication.UserTokenAuthentication"
    name = "userToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from POST /api/v1/auth/token (ES256, 10 minutes).",
        }


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "kernel.auth.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Service token a deployable mints for the callee (aud hearth-<callee>).",
        }
