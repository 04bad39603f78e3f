"""Certificates for a cluster run from this machine, which has no certificate
authority: made once under var/secrets/tls/<name>/ and kept, so a re-run changes
nothing (browsers and peers that trust one keep trusting it) unless the names change.
Production gets its certificates from cert-manager or its secret store instead.
"""

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from config.secrets import LOCAL_SECRETS_DIR

TLS_DIR = LOCAL_SECRETS_DIR / "tls"
VALIDITY = datetime.timedelta(days=825)  # the longest browsers accept


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _build(subject: str, key, issuer: x509.Name, signer, *, ca: bool, hosts: list[str]):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if hosts:
        names = x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts])
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(names, critical=False).add_extension(
            x509.ExtendedKeyUsage(usages), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def _hosts_of(certificate: Path) -> list[str]:
    loaded = x509.load_pem_x509_certificate(certificate.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return sorted(names.get_values_for_type(x509.DNSName))


def certificate(name: str, hosts: list[str]) -> dict[str, str]:
    """ca.crt, tls.crt and tls.key for the hosts: a certificate signed by a CA of
    its own (peers verify each other against ca.crt; a browser is asked once)."""
    directory = TLS_DIR / name
    paths = {file: directory / file for file in ("ca.crt", "tls.crt", "tls.key")}
    if all(path.exists() for path in paths.values()) and _hosts_of(paths["tls.crt"]) == sorted(
        hosts
    ):
        return {file: path.read_text() for file, path in paths.items()}
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = f"Hearth local CA ({name})"
    authority = _build(ca_name, ca_key, _name(ca_name), ca_key, ca=True, hosts=[])
    leaf = _build(hosts[0], key, authority.subject, ca_key, ca=False, hosts=hosts)
    for folder in (TLS_DIR, directory):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    paths["tls.key"].touch(mode=0o600)
    paths["tls.key"].write_bytes(_key_pem(key))
    paths["ca.crt"].write_bytes(authority.public_bytes(serialization.Encoding.PEM))
    paths["tls.crt"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return {file: path.read_text() for file, path in paths.items()}


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
