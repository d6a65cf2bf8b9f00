"""A throwaway service-account key that signs V4 URLs locally (the emulator checks no signature)."""

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def write_dev_signing_key(directory: Path, project: str) -> Path:
    """Writes (once) a key file in the format `service_account.Credentials` reads."""
    path = directory / "signing-key.json"
    if path.exists():
        return path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": project,
                "private_key_id": "local-dev",
                "private_key": pem,
                "client_email": f"apkdrop-dev@{project}.iam.gserviceaccount.com",
                "client_id": "0",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    path.chmod(0o600)
    return path
