"""Sign-in sessions: token pairs, their rotation, and their end.

Each sign-in starts a token family (TokenFamily), whose id every token of the
session carries as `sid`. Refreshing rotates the pair within the family; only the
newest refresh token is usable, and an older one coming back ends the family, so
whoever holds the other copy is signed out too.

Ending a session must reach every deployable, which all check access tokens
locally: each end publishes an event in the same transaction (`session_revoked`
for one session, `user_sessions_revoked` for all of a user's), which every
deployable consumes into its Redis (kernel.auth.revocation). Accounts also writes
its own Redis as soon as the transaction commits, so it refuses at once.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from apps.accounts.contracts import SESSION_REVOKED, USER_SESSIONS_REVOKED
from apps.accounts.models import TokenFamily, User
from apps.accounts.selectors import user_by_id
from kernel import errors
from kernel.auth import revocation
from kernel.auth.tokens import UserRefreshToken
from kernel.events.consumer import StoreUnavailable
from kernel.events.outbox import publish_event

logger = logging.getLogger(__name__)

SIGNED_OUT = "signed_out"
REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105 (a reason, not a secret)


class InvalidRefreshToken(errors.Unauthenticated):
    default_message = "This refresh token is not valid."


class SessionEnded(InvalidRefreshToken):
    default_message = "This session has ended. Sign in again."


def tokens_for(user: User) -> dict[str, str]:
    """A new session's token pair, carrying what other deployables need to
    authorise without asking accounts: role, email, name, and the session id."""
    family = TokenFamily(user_id=user.id)
    pair, refresh = _pair(user, family)
    family.refresh_jti, family.expires_at = refresh["jti"], _expiry(refresh)
    family.save(force_insert=True)
    return pair


def tokens_refresh(*, raw_refresh: str) -> dict[str, str]:
    """Rotate: the refresh token is spent and a new pair of the same session is
    issued with fresh claims. A spent token ends its whole session; a token of an
    ended session, of a gone account or from before a password reset is refused."""
    token = _decode_refresh(raw_refresh)
    with transaction.atomic():
        family = _family_for_update(token)
        if family.revoked_at is not None:
            raise SessionEnded()
        if family.refresh_jti == token["jti"]:
            user = _user_for(token)
            pair, refresh = _pair(user, family)
            family.refresh_jti, family.expires_at = refresh["jti"], _expiry(refresh)
            family.save(update_fields=["refresh_jti", "expires_at"])
            return pair
        _end(family, reason=REFRESH_TOKEN_REUSED)
    # Raised after the commit: the session's end stands.
    raise SessionEnded("This refresh token was already used: the session has ended.")


def tokens_revoke(*, raw_refresh: str) -> None:
    """Sign out: the session's refresh token can no longer be used, and its access
    tokens are refused everywhere within seconds. Holding a token of the session
    is proof enough; signing out twice is harmless."""
    token = _decode_refresh(raw_refresh)
    with transaction.atomic():
        family = _family_for_update(token)
        if family.revoked_at is None:
            _end(family, reason=SIGNED_OUT)


def sessions_revoke_all(*, user_id: str) -> None:
    """Sign out everywhere: every session of the user ends, and every token issued
    before now is refused everywhere within seconds."""
    with transaction.atomic():
        now = timezone.now()
        TokenFamily.objects.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=now)
        publish_event(
            USER_SESSIONS_REVOKED,
            aggregate_id=user_id,
            payload={"user_id": str(user_id), "revoked_before": now.isoformat()},
        )
        _mark_here_on_commit(lambda: revocation.cut_off_user(str(user_id), before=now))


def _pair(user: User, family: TokenFamily) -> tuple[dict[str, str], UserRefreshToken]:
    refresh = UserRefreshToken.for_user(user)
    refresh["sid"] = str(family.id)
    refresh["role"] = user.role
    refresh["email"] = user.email
    refresh["name"] = user.full_name
    refresh["pwd"] = _password_version(user)
    if user.is_staff:  # lets every deployable's admin admit them (kernel.auth.admin_backend)
        refresh["staff"] = True
        refresh["superuser"] = user.is_superuser
    return {"access": str(refresh.access_token), "refresh": str(refresh)}, refresh


def _expiry(token: UserRefreshToken) -> datetime:
    return datetime.fromtimestamp(token["exp"], tz=UTC)


def _password_version(user: User) -> str:
    """Changes when the password is reset: refresh tokens carry it, so sessions from
    before a reset cannot be refreshed."""
    return user.password_changed_at.isoformat() if user.password_changed_at else ""


def _user_for(token: UserRefreshToken) -> User:
    user = user_by_id(user_id=token["sub"])
    if user is None:
        raise SessionEnded("The account is gone or disabled.")
    if token.get("pwd") != _password_version(user):
        raise SessionEnded("The password changed since this session began. Sign in again.")
    return user


def _decode_refresh(raw: str) -> UserRefreshToken:
    try:
        token = UserRefreshToken(raw)
    except TokenError as error:
        raise InvalidRefreshToken(str(error)) from error
    if "sid" not in token:  # issued before sessions had ids
        raise SessionEnded()
    return token


def _family_for_update(token: UserRefreshToken) -> TokenFamily:
    family = (
        TokenFamily.objects.select_for_update()
        .filter(pk=token["sid"], user_id=token["sub"])
        .first()
    )
    if family is None:
        raise SessionEnded()
    return family


def _end(family: TokenFamily, *, reason: str) -> None:
    family.revoked_at = timezone.now()
    family.save(update_fields=["revoked_at"])
    publish_event(
        SESSION_REVOKED,
        aggregate_id=family.id,
        payload={
            "session_id": str(family.id),
            "user_id": str(family.user_id),
            "reason": reason,
            "revoked_at": family.revoked_at.isoformat(),
        },
    )
    _mark_here_on_commit(lambda: revocation.revoke_session(str(family.id), at=family.revoked_at))


def _mark_here_on_commit(mark: Callable[[], bool]) -> None:
    """Accounts' own check sees the end at once, not when its consumer gets to the
    event; if Redis is down the consumer writes the mark when it is back."""

    def run() -> None:
        try:
            mark()
        except StoreUnavailable as error:
            logger.warning("revocation left to the consumer", extra={"error": str(error)})

    transaction.on_commit(run)
