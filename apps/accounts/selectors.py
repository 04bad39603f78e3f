import idna
from confusable_homoglyphs import categories

from apps.accounts.models import EmailClaim, User
from kernel import errors

# Scripts that one name may mix in its own language (UTS #39's "highly restrictive"
# sets): Japanese writes Han with kana, Korean Han with Hangul, Chinese Han with
# Bopomofo. Any other mix, Latin with Cyrillic above all, is a look-alike.
_SCRIPT_MIXES = [
    {"HAN", "HIRAGANA", "KATAKANA"},
    {"HAN", "HANGUL"},
    {"HAN", "BOPOMOFO"},
]
_NOT_AN_EMAIL = "Enter a valid email address."
_LOOK_ALIKE = "This email's domain mixes alphabets, as look-alike addresses do."


def normalize_email(email: str) -> str:
    """The one form an email is stored and looked up in: trimmed, lower case, the
    domain in IDNA's ASCII form (bücher.de is xn--bcher-kva.de), so one address
    cannot be registered twice in two spellings. A domain whose labels mix
    alphabets (paypal.com with a Cyrillic U+0430 for its "a") is refused:
    errors.Invalid on `email`."""
    local, at, domain = email.strip().rpartition("@")
    if not local or not at or not domain:
        raise errors.Invalid.field("email", _NOT_AN_EMAIL)
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
        labels = [idna.decode(label) for label in ascii_domain.split(".")]
    except idna.IDNAError as error:
        raise errors.Invalid.field("email", _NOT_AN_EMAIL) from error
    if any(_mixes_scripts(label) for label in labels):
        raise errors.Invalid.field("email", _LOOK_ALIKE)
    return f"{local.lower()}@{ascii_domain}"


def _mixes_scripts(label: str) -> bool:
    scripts = categories.unique_aliases(label) - {"COMMON"}  # digits and hyphens
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_MIXES)


def user_by_email(*, email: str) -> User | None:
    claim = EmailClaim.objects.filter(email=normalize_email(email)).first()
    if claim is None:
        return None
    return User.objects.filter(pk=claim.user_id).first()


def user_by_id(*, user_id: str) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()
