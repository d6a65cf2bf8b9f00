"""Property-based fuzzing of App Bundle inspection: whatever the bytes, inspect_apk returns or
raises ApkError. Real bundles (aapt2 + bundletool), their protobuf manifest and resource table
are mutated as test_apk_fuzz.py mutates APKs, and arbitrary bytes stand in for both."""

import io
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.aab_builder import build_bundle
from tests.fixtures.apk_builder import build_zip
from tests.unit.test_apk_fuzz import FUZZ, mutated, only_inspection_or_apk_error

MANIFEST = "base/manifest/AndroidManifest.xml"
RESOURCES = "base/resources.pb"
BUNDLE_SAMPLES = [
    build_bundle(),
    build_bundle(label=None, icon=False, permissions=()),
    build_bundle(abis=["arm64-v8a", "x86_64"], qualified_labels={"fr": "Démo", "night": "Nuit"}),
]


def entries_of(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


RICH_ENTRIES = entries_of(BUNDLE_SAMPLES[2])
MANIFEST_SAMPLES = [entries_of(bundle)[MANIFEST] for bundle in BUNDLE_SAMPLES]
RESOURCE_SAMPLES = [entries_of(bundle)[RESOURCES] for bundle in BUNDLE_SAMPLES]


@FUZZ
@given(mutated(BUNDLE_SAMPLES, tail_bias=True))
def test_mutated_bundles_only_raise_apk_error(data: bytes) -> None:
    only_inspection_or_apk_error(data)


@FUZZ
@given(st.one_of(mutated(MANIFEST_SAMPLES), mutated(MANIFEST_SAMPLES, in_place=True), st.binary()))
def test_mutated_proto_manifests_only_raise_apk_error(manifest: bytes) -> None:
    only_inspection_or_apk_error(build_zip({**RICH_ENTRIES, MANIFEST: manifest}))


@FUZZ
@given(st.one_of(mutated(RESOURCE_SAMPLES), mutated(RESOURCE_SAMPLES, in_place=True), st.binary()))
def test_mutated_resource_tables_only_raise_apk_error(table: bytes) -> None:
    only_inspection_or_apk_error(build_zip({**RICH_ENTRIES, RESOURCES: table}))
