"""A throwaway distribution keystore that signs universal APKs locally (DISTRIBUTION_KEYSTORE).

Production's is the operator's, in Secret Manager: the same JSON, `{"keystore": base64 PKCS#12,
"password": ..., "alias": ...}` (functions/apkdrop/conversions/keystore.py reads it).
"""

import base64
import datetime
import json
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12
from cryptography.x509.oid import NameOID

ALIAS = "apkdrop"
VALIDITY = datetime.timedelta(days=365 * 30)  # Play asks upload keys to outlive 2033


def write_dev_distribution_keystore(directory: Path) -> str:
    """The secret's JSON, made (once) into `directory` and read back from there after."""
    path = directory / "distribution-keystore.json"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(_keystore_secret())
        path.chmod(0o600)
    return path.read_text()


def pkcs12_keystore(
    key: rsa.RSAPrivateKey, certificate: x509.Certificate, alias: str, password: str
) -> bytes:
    """A PKCS#12 keystore of `key` under `alias`, encrypted as bundletool and keytool read it."""
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(10_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(alias.encode(), key, certificate, None, encryption)


def _keystore_secret() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apkdrop local distribution")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(18)
    store = pkcs12_keystore(key, certificate, ALIAS, password)
    return json.dumps(
        {"keystore": base64.b64encode(store).decode(), "password": password, "alias": ALIAS}
    )
