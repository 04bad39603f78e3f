"""The keys tokens are signed and checked with.

Every deployable signs with a private key of its own and trusts a set of public
keys, one or more per service, read from HEARTH_JWT_KEY_DIR:

    <service>.key.pem            this deployable's signing key (only its own is mounted)
    <service>[.<tag>].pub.pem    public keys it trusts, owned by <service>

A key's id (`kid`) is its RFC 7638 thumbprint, so no one has to assign ids. A key
is trusted only for tokens its owner issues (iss = hearth-<owner>): the accounts
key signs user tokens; any other service's key can sign only service tokens.
Rotation: publish the new public key everywhere, then swap the signing key, then
drop the old public key once its tokens have expired.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES256"


@dataclass(frozen=True)
class TrustedKey:
    kid: str
    owner: str  # the service whose tokens this key may sign
    public_key: ec.EllipticCurvePublicKey

    def jwk(self) -> dict:
        return {**_public_jwk(self.public_key), "kid": self.kid, "use": "sig", "alg": ALGORITHM}


@dataclass(frozen=True)
class KeyRing:
    service: str
    signing_key: ec.EllipticCurvePrivateKey | None
    signing_kid: str | None
    trusted: dict[str, TrustedKey]

    @classmethod
    def load(cls, directory: Path, service: str) -> "KeyRing":
        trusted = {}
        for path in sorted(directory.glob("*.pub.pem")):
            public_key = serialization.load_pem_public_key(path.read_bytes())
            kid = thumbprint(public_key)
            trusted[kid] = TrustedKey(kid=kid, owner=path.name.split(".")[0], public_key=public_key)
        private_path = directory / f"{service}.key.pem"
        signing_key = signing_kid = None
        if private_path.exists():
            signing_key = serialization.load_pem_private_key(private_path.read_bytes(), None)
            signing_kid = thumbprint(signing_key.public_key())
        return cls(service, signing_key, signing_kid, trusted)

    def jwks(self, owner: str | None = None) -> dict:
        """The published key set (RFC 7517), optionally only one owner's keys."""
        keys = [key.jwk() for key in self.trusted.values() if owner in (None, key.owner)]
        return {"keys": keys}


def _public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict:
    return json.loads(ECAlgorithm.to_jwk(public_key))


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    jwk = _public_jwk(public_key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@cache
def keyring() -> KeyRing:
    return KeyRing.load(Path(settings.HEARTH_JWT_KEY_DIR), settings.HEARTH_SERVICE)


def generate_missing_keys(directory: Path, services: list[str]) -> list[str]:
    """Create a key pair for each service that has none (the local stack and CI;
    production keys come from the secret store). Returns the services keyed."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    created = []
    for service in services:
        private_path = directory / f"{service}.key.pem"
        if private_path.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        private_path.touch(mode=0o600)
        private_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (directory / f"{service}.pub.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        created.append(service)
    return created
