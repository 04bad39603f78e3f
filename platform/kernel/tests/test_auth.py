"""Tokens are checked locally against the key ring: signature by key id, algorithm,
expiry, issuer bound to the key's owner, audience and type."""

import base64
import json
import uuid
from datetime import timedelta

import jwt
import pytest
from rest_framework_simplejwt.exceptions import TokenError

from kernel.auth.keys import keyring, thumbprint
from kernel.auth.tokens import ServiceToken, UserAccessToken, UserRefreshToken
from kernel.testing.auth import acting_as, use_key_dir, user_tokens

SERVICES = ["accounts", "listings", "kernel_tests"]


@pytest.fixture(autouse=True)
def key_dir(tmp_path, settings):
    settings.HEARTH_JWT_KEY_DIR = str(tmp_path)
    use_key_dir(tmp_path, SERVICES)
    yield tmp_path
    keyring.cache_clear()


def _tamper(token: str, **claims) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data.update(claims)
    encoded = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def test_user_token_from_accounts_is_accepted_with_its_claims():
    user_id = str(uuid.uuid4())
    tokens = user_tokens(user_id=user_id, role="renter", email="r@example.com", name="R")
    access = UserAccessToken(tokens.access)
    assert access["sub"] == user_id
    assert access["role"] == "renter"
    assert access["iss"] == "hearth-accounts"
    header = jwt.get_unverified_header(tokens.access)
    assert header["alg"] == "ES256"
    assert header["kid"] == thumbprint(keyring().trusted[header["kid"]].public_key)


def test_user_token_signed_by_another_service_is_refused():
    with acting_as("listings"):
        forged = UserAccessToken()
        forged["sub"] = str(uuid.uuid4())
        forged["role"] = "landlord"
        encoded = str(forged)
    with pytest.raises(TokenError, match="wrong service"):
        UserAccessToken(encoded)


def test_tampered_claims_break_the_signature():
    tokens = user_tokens(user_id=str(uuid.uuid4()), role="renter")
    with pytest.raises(TokenError):
        UserAccessToken(_tamper(tokens.access, role="landlord"))


def test_unsigned_and_symmetric_tokens_are_refused():
    kid = next(k for k, key in keyring().trusted.items() if key.owner == "accounts")
    claims = {"sub": "x", "token_type": "access", "iss": "hearth-accounts", "aud": "hearth"}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    with pytest.raises(TokenError):
        UserAccessToken(unsigned)
    symmetric = jwt.encode(claims, "a-guessable-secret-of-32-bytes!!", headers={"kid": kid})
    with pytest.raises(TokenError):
        UserAccessToken(symmetric)


def test_unknown_key_id_is_refused(key_dir, tmp_path_factory, settings):
    other = tmp_path_factory.mktemp("other-keys")
    settings.HEARTH_JWT_KEY_DIR = str(other)
    use_key_dir(other, ["accounts"])
    tokens = user_tokens(user_id="u", role="renter")
    settings.HEARTH_JWT_KEY_DIR = str(key_dir)
    keyring.cache_clear()
    with pytest.raises(TokenError, match="invalid"):
        UserAccessToken(tokens.access)


def test_expired_token_is_refused():
    with acting_as("accounts"):
        access = UserAccessToken()
        access["sub"] = "u"
        access.set_exp(lifetime=timedelta(seconds=-60))
        encoded = str(access)
    with pytest.raises(TokenError, match="expired"):
        UserAccessToken(encoded)


def test_refresh_token_is_not_an_access_token():
    tokens = user_tokens(user_id="u", role="renter")
    with pytest.raises(TokenError, match="wrong type"):
        UserAccessToken(tokens.refresh)
    assert UserRefreshToken(tokens.refresh)["role"] == "renter"


def test_service_token_is_accepted_only_by_its_callee():
    with acting_as("listings"):
        to_me = str(ServiceToken.for_callee("kernel_tests"))
        to_accounts = str(ServiceToken.for_callee("accounts"))
    assert ServiceToken(to_me).caller == "listings"
    with pytest.raises(TokenError, match="invalid"):
        ServiceToken(to_accounts)
    with pytest.raises(TokenError):
        UserAccessToken(to_me)  # a service token never passes as a user's


def test_published_key_set_lists_each_public_key_once():
    jwks = keyring().jwks(owner="accounts")
    assert len(jwks["keys"]) == 1
    (key,) = jwks["keys"]
    assert key["kty"] == "EC"
    assert key["alg"] == "ES256"
    assert "d" not in key


def test_bearer_access_token_authenticates_a_principal():
    from rest_framework.test import APIRequestFactory

    from kernel.auth.authentication import UserTokenAuthentication

    tokens = user_tokens(user_id="u-1", role="landlord", email="l@example.com")
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {tokens.access}")
    principal, _ = UserTokenAuthentication().authenticate(request)
    assert (principal.id, principal.is_landlord, principal.email) == ("u-1", True, "l@example.com")
