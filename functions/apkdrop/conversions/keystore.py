"""The distribution keystore universal APKs are signed with, as its secret holds it."""

import base64
import binascii
import json

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

DEFAULT_KEY_ALIAS = "apkdrop"


class DistributionKeystore(BaseModel):
    """The secret's JSON: `{"keystore": base64 PKCS#12, "password": ..., "alias": ...}`; the
    store and its key share the password (as bundletool's --ks-pass and --key-pass)."""

    model_config = ConfigDict(frozen=True)

    keystore: str
    password: SecretStr
    alias: str = DEFAULT_KEY_ALIAS

    @property
    def pkcs12(self) -> bytes:
        return base64.b64decode(self.keystore, validate=True)


def read_keystore(secret: SecretStr) -> DistributionKeystore:
    """Raises ValueError, naming no secret value, when the secret is not such a keystore."""
    try:
        keystore = DistributionKeystore.model_validate(json.loads(secret.get_secret_value()))
        keystore.pkcs12  # noqa: B018 (checks the base64 now, not at the first conversion)
    except (ValueError, ValidationError, binascii.Error) as exc:
        raise ValueError(
            'DISTRIBUTION_KEYSTORE must be JSON {"keystore": base64 PKCS#12, "password": ...}'
        ) from exc
    return keystore
