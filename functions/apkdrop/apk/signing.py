"""Which signature schemes an APK carries, and the SHA-256 fingerprint of its signer certificate.

Signatures are not verified (Android does that at install time); this reports what the APK
claims, for people comparing it with their keystore. v2 and v3 live in the APK Signing Block,
which sits just before the central directory (source.android.com/docs/security/features/
apksigning/v2); v1 is a JAR signature, a PKCS#7 block in META-INF/.
"""

import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from apkdrop.apk.archive import Archive
from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_SIGNATURE_FILE_BYTES, MAX_SIGNING_BLOCK_BYTES
from apkdrop.apk.models import SigningScheme
from apkdrop.apk.source import RangedSource

SIGNING_BLOCK_MAGIC = b"APK Sig Block 42"
V2_BLOCK_ID = 0x7109871A
V3_BLOCK_ID = 0xF05368C0
V31_BLOCK_ID = 0x1B93AD61
# Newest first: the signer reported is the one the newest platforms verify (after a key
# rotation, v3 carries the new key while v1 and v2 keep the old one for old devices).
_SCHEMES: dict[int, SigningScheme] = {V31_BLOCK_ID: "v3.1", V3_BLOCK_ID: "v3", V2_BLOCK_ID: "v2"}
_V1_SIGNATURE = re.compile(r"META-INF/[^/]+\.(?:RSA|DSA|EC)")
_FOOTER = struct.Struct("<Q16s")  # block size (again), magic
_SIZE = struct.Struct("<Q")
_PAIR = struct.Struct("<QL")  # value length (with the id), id
_LENGTH = struct.Struct("<L")
_CORRUPT = "APK Signing Block is corrupt"

# An unsupported X.509 version is not a ValueError in cryptography.
CERTIFICATE_ERRORS = (ValueError, x509.InvalidVersion)


@dataclass(frozen=True)
class SigningBlock:
    """The APK Signing Block: where it starts and its values by id (the first of each)."""

    start: int
    values: dict[int, bytes]


@dataclass(frozen=True)
class Signing:
    """Schemes present (oldest first) and the signer's fingerprint, uppercase hex with colons."""

    schemes: list[SigningScheme]
    signer_sha256: str | None


def find_signing_block(source: RangedSource, directory_offset: int) -> SigningBlock | None:
    """Read the APK Signing Block that ends where the central directory starts, if any."""
    if directory_offset < _SIZE.size + _FOOTER.size:
        return None
    size, magic = _FOOTER.unpack(source.read(directory_offset - _FOOTER.size, _FOOTER.size))
    if magic != SIGNING_BLOCK_MAGIC:
        return None
    # As Android's apksig decides: sizes no block could have, or a header that disagrees with
    # the footer, mean there is no block (the magic is then an entry's last bytes).
    start = directory_offset - size - _SIZE.size
    if size < _FOOTER.size or start < 0:
        return None
    if _SIZE.unpack(source.read(start, _SIZE.size))[0] != size:
        return None
    if size > MAX_SIGNING_BLOCK_BYTES:
        raise ApkError("APK Signing Block is too large")
    block = source.read(start, size + _SIZE.size)
    values: dict[int, bytes] = {}
    at, end = _SIZE.size, len(block) - _FOOTER.size
    while at < end:
        if at + _PAIR.size > end:
            raise ApkError(_CORRUPT)
        length, block_id = _PAIR.unpack_from(block, at)
        if length < _LENGTH.size or at + _SIZE.size + length > end:
            raise ApkError(_CORRUPT)
        values.setdefault(block_id, block[at + _PAIR.size : at + _SIZE.size + length])
        at += _SIZE.size + length
    return SigningBlock(start, values)


def read_signing(archive: Archive, block: SigningBlock | None) -> Signing:
    """The schemes present and the fingerprint of the newest scheme's first signer."""
    block_values = block.values if block else {}
    schemes: list[SigningScheme] = ["v1"] if v1_signature_entry(archive) else []
    schemes.extend(
        name for block_id, name in reversed(_SCHEMES.items()) if block_id in block_values
    )
    certificate = next(
        (
            scheme_certificate(block_values[block_id])
            for block_id in _SCHEMES
            if block_id in block_values
        ),
        None,
    )
    if certificate is None and "v1" in schemes:
        certificate = v1_certificate(archive)
    fingerprint = hashlib.sha256(certificate).hexdigest().upper() if certificate else None
    signer = ":".join(re.findall("..", fingerprint)) if fingerprint else None
    return Signing(schemes, signer)


def scheme_certificate(value: bytes) -> bytes:
    """The DER certificate of the first signer of a v2, v3 or v3.1 block value.

    The value is length-prefixed signers; a signer starts with its length-prefixed signed data,
    which holds length-prefixed digests, then length-prefixed certificates, first the signer's.
    """
    signers, _ = _prefixed(value, 0)
    signer, _ = _prefixed(signers, 0)
    signed_data, _ = _prefixed(signer, 0)
    _, at = _prefixed(signed_data, 0)
    certificates, _ = _prefixed(signed_data, at)
    certificate, _ = _prefixed(certificates, 0)
    try:
        x509.load_der_x509_certificate(certificate)
    except CERTIFICATE_ERRORS as exc:
        raise ApkError("signer certificate is not a valid X.509 certificate") from exc
    return certificate


def v1_signature_entry(archive: Archive) -> str | None:
    """Name of the first JAR signature block file (META-INF/*.RSA, .DSA or .EC), if any."""
    return min((name for name in archive.entries if _V1_SIGNATURE.fullmatch(name)), default=None)


def v1_certificate(archive: Archive) -> bytes:
    """The DER certificate of the v1 signer: the chain's leaf in the PKCS#7 signature block."""
    name = v1_signature_entry(archive)
    if name is None:
        raise ApkError("the APK has no v1 signature")
    data = archive.read(archive.entries[name], MAX_SIGNATURE_FILE_BYTES)
    try:
        certificates = pkcs7.load_der_pkcs7_certificates(data)
        # cryptography parses names lazily: a malformed one fails here, not at load.
        issuers = {c.issuer for c in certificates if not _self_signed(c)}
        leaves = [c for c in certificates if c.subject not in issuers]
    except CERTIFICATE_ERRORS as exc:
        raise ApkError("v1 signature is not valid PKCS#7") from exc
    if not leaves:
        raise ApkError("v1 signature has no certificate")
    return leaves[0].public_bytes(Encoding.DER)


def _self_signed(certificate: x509.Certificate) -> bool:
    return certificate.issuer == certificate.subject


def _prefixed(data: bytes, at: int) -> tuple[bytes, int]:
    """The uint32-length-prefixed bytes at ``at`` and the offset after them."""
    if at + _LENGTH.size > len(data):
        raise ApkError(_CORRUPT)
    (length,) = _LENGTH.unpack_from(data, at)
    start = at + _LENGTH.size
    if start + length > len(data):
        raise ApkError(_CORRUPT)
    return data[start : start + length], start + length
