"""Signature schemes and the signer certificate's fingerprint."""

import hashlib
import io
import struct
import zipfile

import pytest

from apkdrop.apk import signing
from apkdrop.apk.archive import open_archive
from apkdrop.apk.source import RangedSource
from apkdrop.apk_inspection import ApkError, inspect_apk
from tests.fixtures.apk_builder import (
    build_apk,
    generated_signer,
    insert_before_central_directory,
    signing_block,
)
from tests.paths import INSTRUMENTATION_APK, SETTINGS_APK, real_apk


def signing_of(apk: bytes) -> dict:
    return inspect_apk(io.BytesIO(apk)).info.signing.model_dump()


def reason_for(apk: bytes) -> str:
    with pytest.raises(ApkError) as caught:
        inspect_apk(io.BytesIO(apk))
    return caught.value.reason


def with_block(block: bytes) -> bytes:
    """An unsigned APK with ``block`` put where the APK Signing Block goes."""
    apk = io.BytesIO(build_apk())
    insert_before_central_directory(apk, block)
    return apk.getvalue()


def block_from_pairs(*pairs: tuple[int, bytes]) -> bytes:
    """An APK Signing Block holding these (id, value) pairs."""
    body = b"".join(struct.pack("<QL", 4 + len(value), pair_id) + value for pair_id, value in pairs)
    size = len(body) + 24
    return struct.pack("<Q", size) + body + struct.pack("<Q", size) + b"APK Sig Block 42"


def pairs_of(block: bytes) -> list[tuple[int, bytes]]:
    """The (id, value) pairs of a block built by signing_block."""
    pairs, at = [], 8
    while at < len(block) - 24:
        length, pair_id = struct.unpack_from("<QL", block, at)
        pairs.append((pair_id, block[at + 12 : at + 8 + length]))
        at += 8 + length
    return pairs


def fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[at : at + 2] for at in range(0, 64, 2))


@pytest.mark.parametrize(
    "schemes",
    [["v1"], ["v2"], ["v3"], ["v1", "v2"], ["v1", "v2", "v3"], ["v2", "v3", "v3.1"]],
    ids=lambda schemes: "+".join(schemes),
)
def test_schemes_and_signer(schemes: list[str]) -> None:
    signer = generated_signer()
    apk = build_apk(signer=signer, schemes=schemes)
    assert signing_of(apk) == {"schemes": schemes, "signerSha256": signer.sha256}


def test_unsigned_apk() -> None:
    assert signing_of(build_apk()) == {"schemes": [], "signerSha256": None}


@pytest.mark.parametrize("schemes", [["v1"], ["v2"]])
def test_signer_of_a_chain_is_its_leaf(schemes: list[str]) -> None:
    signer = generated_signer("Chained", with_ca=True)
    assert signing_of(build_apk(signer=signer, schemes=schemes))["signerSha256"] == signer.sha256


def test_newest_scheme_names_the_signer_after_a_key_rotation() -> None:
    old, new = generated_signer("Old key"), generated_signer("New key")
    block = block_from_pairs(
        *pairs_of(signing_block(old, ["v2"])), *pairs_of(signing_block(new, ["v3"]))
    )
    assert signing_of(with_block(block)) == {"schemes": ["v2", "v3"], "signerSha256": new.sha256}


def test_block_without_signature_schemes() -> None:
    padding = (0x42726577, bytes(100))  # the verity padding some signers add
    assert signing_of(with_block(block_from_pairs(padding))) == {
        "schemes": [],
        "signerSha256": None,
    }


def test_real_apk_signed_with_every_scheme_has_one_signer() -> None:
    data = real_apk(INSTRUMENTATION_APK).read_bytes()
    archive = open_archive(RangedSource(io.BytesIO(data)))
    block = signing.find_signing_block(archive.source, archive.directory_offset)
    v1 = signing.v1_certificate(archive)
    v2 = signing.scheme_certificate(block.values[signing.V2_BLOCK_ID])
    v3 = signing.scheme_certificate(block.values[signing.V3_BLOCK_ID])
    assert v1 == v2 == v3
    assert signing_of(data) == {"schemes": ["v1", "v2", "v3"], "signerSha256": fingerprint(v1)}


def test_real_v2_apk_fingerprint() -> None:
    # What `apksigner verify --print-certs` prints for it, in the colon form.
    expected = "680dbbc39ab0944796c811b636ace510c8e551317087036cebab0751b0a6190c"
    signer = signing_of(real_apk(SETTINGS_APK).read_bytes())["signerSha256"]
    assert signer.replace(":", "").lower() == expected


# Hostile signatures


UNSIGNED = {"schemes": [], "signerSha256": None}


def test_block_whose_sizes_disagree_is_no_block() -> None:
    """As Android's apksig decides: no APK Signing Block, so no v2 or v3 signature."""
    block = bytearray(signing_block(generated_signer()))
    struct.pack_into("<Q", block, 0, len(block) - 9)
    assert signing_of(with_block(bytes(block))) == UNSIGNED


def test_a_last_entry_ending_in_the_magic_is_no_block() -> None:
    """Found by test_mutated_libraries_never_fail_inspection: a stored library whose bytes are
    the footer's magic, its data ending where the central directory starts."""
    apk = build_apk(
        libraries={"lib/arm64-v8a/libnative.so": b"APK Sig Block 42"}, compress_libraries=False
    )
    assert signing_of(apk) == UNSIGNED


@pytest.mark.parametrize("length", [0, 3, 2**40])
def test_block_pair_with_a_bad_length(length: int) -> None:
    block = bytearray(signing_block(generated_signer()))
    struct.pack_into("<Q", block, 8, length)
    assert reason_for(with_block(bytes(block))) == "APK Signing Block is corrupt"


def test_block_larger_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    block = signing_block(generated_signer())
    monkeypatch.setattr(signing, "MAX_SIGNING_BLOCK_BYTES", len(block) - 9)
    assert reason_for(with_block(block)) == "APK Signing Block is too large"


def test_block_claiming_to_start_before_the_file_is_no_block() -> None:
    footer = struct.pack("<Q", 1_000_000) + b"APK Sig Block 42"
    assert signing_of(with_block(footer)) == UNSIGNED


def test_signer_value_cut_short() -> None:
    value = dict(pairs_of(signing_block(generated_signer())))[signing.V2_BLOCK_ID]
    block = block_from_pairs((signing.V2_BLOCK_ID, value[:-300]))
    assert reason_for(with_block(block)) == "APK Signing Block is corrupt"


def test_certificate_that_is_not_x509() -> None:
    signer = generated_signer()
    block = signing_block(signer).replace(signer.der, b"\x30" + bytes(len(signer.der) - 1))
    assert reason_for(with_block(block)) == "signer certificate is not a valid X.509 certificate"


def test_v1_signature_that_is_not_pkcs7() -> None:
    buffer = io.BytesIO(build_apk())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("META-INF/CERT.RSA", b"\x30\x03\x02\x01\x01")
    assert reason_for(buffer.getvalue()) == "v1 signature is not valid PKCS#7"
