from apps.accounts.models import EmailClaim, User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(*, email: str) -> User | None:
    claim = EmailClaim.objects.filter(email=normalize_email(email)).first()
    if claim is None:
        return None
    return User.objects.filter(pk=claim.user_id).first()


def user_by_id(*, user_id: str) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()
