"""Property-based fuzzing: whatever the bytes, inspect_apk returns or raises ApkError.

Real and synthetic archives, manifests, resource tables and signing blocks are mutated (bits
flipped, size fields set to edge values, bytes inserted, deleted or cut off). Each test runs a
bounded number of examples with no per-example deadline, so `make test` stays fast.
"""

import io
import zipfile

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apkdrop.apk_inspection import ApkError, ApkInspection, inspect_apk
from tests.fixtures.apk_builder import (
    ANY_DPI,
    ICON_ID,
    LABEL_ID,
    Qualifiers,
    build_apk,
    build_manifest,
    build_resources,
    build_zip,
    generated_signer,
    insert_before_central_directory,
    png,
    reference,
    signing_block,
)
from tests.paths import INSTRUMENTATION_APK, SETTINGS_APK

EXAMPLES = 1000
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _real_bytes() -> list[bytes]:
    """The real APKs' bytes, or nothing when the shared fixtures are absent."""
    return [path.read_bytes() for path in (SETTINGS_APK, INSTRUMENTATION_APK) if path.is_file()]


def read_entry(apk: bytes, name: str) -> bytes:
    """One entry of an archive."""
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        return archive.read(name)


def signing_block_of(apk: bytes) -> bytes:
    """The APK Signing Block of a signed APK (the bytes just before its central directory)."""
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        directory = archive.start_dir
    size = int.from_bytes(apk[directory - 24 : directory - 16], "little")
    return apk[directory - size - 8 : directory]


REAL_APK_BYTES = _real_bytes()
ICON_FILES = {"res/mipmap-mdpi-v4/ic_launcher.png": png(), "res/i.webp": b"RIFF"}
RICH_OPTIONS = {
    "label": reference(LABEL_ID),
    "icon": reference(ICON_ID),
    "files": ICON_FILES,
    "permissions": ["android.permission.INTERNET"],
    "native_abis": ["arm64-v8a"],
}
TABLE_SAMPLES = [
    build_resources(
        {Qualifiers("fr"): "Bonjour", Qualifiers(): "Hello"},
        {
            Qualifiers(density=160): "res/mipmap-mdpi-v4/ic_launcher.png",
            Qualifiers(density=ANY_DPI): "res/mipmap-anydpi-v26/ic_launcher.xml",
            Qualifiers(density=640, night=True): ICON_ID,
        },
        utf8=utf8,
        layout=layout,
    )
    for utf8, layout in [
        (True, "offset32"),
        (False, "offset16"),
        (True, "sparse"),
        (False, "compact"),
    ]
]
APK_SAMPLES = [
    build_apk(),
    build_apk(version_name=None, version_code=None, instrumentation_target="com.example.app"),
    build_apk(
        resources=TABLE_SAMPLES[0], signer=generated_signer(), schemes=["v1", "v2"], **RICH_OPTIONS
    ),
    *[apk for apk in REAL_APK_BYTES if len(apk) < 1024 * 1024],
]
MANIFEST_SAMPLES = [
    build_manifest(),
    build_manifest(version_code="0x10", min_sdk="S", instrumentation_target="com.example.app"),
    build_manifest(
        label=reference(LABEL_ID), icon=reference(ICON_ID), permissions=["a.b.C"], debuggable=True
    ),
    *[read_entry(apk, "AndroidManifest.xml") for apk in REAL_APK_BYTES],
]
RESOURCE_SAMPLES = [
    *TABLE_SAMPLES,
    *[read_entry(apk, "resources.arsc") for apk in REAL_APK_BYTES],
]
SIGNING_BLOCK_SAMPLES = [
    signing_block(generated_signer(), ["v2", "v3"]),
    signing_block(generated_signer("Chained", with_ca=True), ["v3.1"]),
    *[signing_block_of(apk) for apk in REAL_APK_BYTES],
]
# A manifest that sends inspection into resources.arsc for its label and icon.
RESOURCE_MANIFEST = MANIFEST_SAMPLES[2]
UNSIGNED_APK = build_apk(resources=TABLE_SAMPLES[0], **RICH_OPTIONS)


@st.composite
def mutated(
    draw: st.DrawFn, samples: list[bytes], *, tail_bias: bool = False, in_place: bool = False
) -> bytes:
    """A sample with a few bytes flipped, overwritten, inserted or deleted, or its end cut off.

    ``in_place`` keeps the length (flips and overwrites only), so the mutations reach past the
    structure into the values a parser decodes.
    """
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 6))):
        end = len(data)
        # Zip structure lives at the end of an archive, so aim there half the time.
        anywhere = st.integers(0, end)
        at = draw(
            st.one_of(anywhere, st.integers(max(0, end - 4096), end)) if tail_bias else anywhere
        )
        operations = (
            ["flip", "word"] if in_place else ["flip", "word", "insert", "delete", "truncate"]
        )
        operation = draw(st.sampled_from(operations))
        if operation == "flip" and at < end:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "word":
            # Sizes, offsets and counts are 16- or 32-bit fields: try their edge values.
            value = draw(st.sampled_from([0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]))
            data[at : at + 4] = value.to_bytes(4, "little")
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif operation == "truncate":
            del data[at:]
    return bytes(data)


def only_inspection_or_apk_error(data: bytes) -> None:
    """inspect_apk(data) must return an inspection or raise ApkError with a reason."""
    try:
        inspection = inspect_apk(io.BytesIO(data))
    except ApkError as error:
        assert error.reason
        event(error.reason)
    else:
        assert isinstance(inspection, ApkInspection)
        inspection.info.model_dump_json()  # what is stored must serialise
        event("inspected")


@FUZZ
@given(mutated(APK_SAMPLES, tail_bias=True))
def test_mutated_archives_only_raise_apk_error(data: bytes) -> None:
    only_inspection_or_apk_error(data)


@FUZZ
@given(mutated(MANIFEST_SAMPLES))
def test_mutated_manifests_only_raise_apk_error(manifest: bytes) -> None:
    only_inspection_or_apk_error(
        build_zip({"AndroidManifest.xml": manifest, "resources.arsc": TABLE_SAMPLES[0]})
    )


@FUZZ
@given(st.one_of(mutated(RESOURCE_SAMPLES), mutated(RESOURCE_SAMPLES, in_place=True)))
def test_mutated_resource_tables_only_raise_apk_error(table: bytes) -> None:
    entries = {"AndroidManifest.xml": RESOURCE_MANIFEST, "resources.arsc": table, **ICON_FILES}
    only_inspection_or_apk_error(build_zip(entries, compression=zipfile.ZIP_STORED))


@FUZZ
@given(st.one_of(mutated(SIGNING_BLOCK_SAMPLES), mutated(SIGNING_BLOCK_SAMPLES, in_place=True)))
def test_mutated_signing_blocks_only_raise_apk_error(block: bytes) -> None:
    apk = io.BytesIO(UNSIGNED_APK)
    insert_before_central_directory(apk, block)
    only_inspection_or_apk_error(apk.getvalue())
