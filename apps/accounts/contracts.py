"""The accounts context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events accounts publishes (topic hearth.accounts.v1),
each declared here with a JSON Schema per version in apps/accounts/schemas/.
Models, services and selectors stay private to the context.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="accounts", schema_dir=Path(__file__).parent / "schemas")
USER_REGISTERED = EVENTS.declare("user_registered", version=1, aggregate_type="user")
USER_PROFILE_UPDATED = EVENTS.declare("user_profile_updated", version=1, aggregate_type="user")
PASSWORD_RESET_REQUESTED = EVENTS.declare(
    "password_reset_requested", version=1, aggregate_type="user"
)
PASSWORD_CHANGED = EVENTS.declare("password_changed", version=1, aggregate_type="user")
# Sessions ending before their access tokens expire: every deployable that checks
# user tokens consumes these (kernel.auth.revocation, wired in config/settings).
SESSION_REVOKED = EVENTS.declare("session_revoked", version=1, aggregate_type="session")
USER_SESSIONS_REVOKED = EVENTS.declare("user_sessions_revoked", version=1, aggregate_type="user")
# Staff's changes to an account, made through the accounts admin's actions.
USER_DEACTIVATED = EVENTS.declare("user_deactivated", version=1, aggregate_type="user")
USER_REACTIVATED = EVENTS.declare("user_reactivated", version=1, aggregate_type="user")
USER_STAFF_GRANTED = EVENTS.declare("user_staff_granted", version=1, aggregate_type="user")
USER_STAFF_REVOKED = EVENTS.declare("user_staff_revoked", version=1, aggregate_type="user")
