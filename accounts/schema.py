"""How the OpenAPI schema (drf-spectacular) describes API token authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "An API token made on the API tokens page (/accounts/tokens/), sent as "
                "`Authorization: Token <token>` (`Bearer <token>` works too). A read-only token "
                "may only read: any other method is a 403. Passwords (HTTP Basic) are refused "
                "with a 401. Calls are rate-limited: a 429 says in Retry-After how many seconds "
                "to wait."
            ),
        }
