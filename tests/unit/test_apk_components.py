"""An APK's entries by component (dex, resources, native, assets, other), and size comparisons."""

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apkdrop.apk.archive import ZipEntry
from apkdrop.apk.components import (
    COMPONENTS,
    KNOWN_ABIS,
    ComponentSizes,
    Sizes,
    abi_of,
    compare_sizes,
    component_of,
    component_sizes,
)
from apkdrop.apk_inspection import inspect_apk
from tests.fixtures.apk_builder import build_apk
from tests.paths import SETTINGS_APK, real_apk


@pytest.mark.parametrize(
    ("name", "component"),
    [
        ("classes.dex", "dex"),
        ("classes2.dex", "dex"),
        ("classes12.dex", "dex"),
        ("classes.dex.prof", "other"),
        ("assets/classes.dex", "assets"),
        ("resources.arsc", "resources"),
        ("res/drawable/icon.png", "resources"),
        ("resources.arsc.bak", "other"),
        ("lib/arm64-v8a/libapp.so", "native"),
        ("lib/unknown-abi/libapp.so", "native"),
        ("assets/fonts/a.ttf", "assets"),
        ("AndroidManifest.xml", "other"),
        ("META-INF/CERT.RSA", "other"),
        ("kotlin/kotlin.kotlin_builtins", "other"),
        ("library/x", "other"),
    ],
)
def test_each_name_has_one_component(name: str, component: str) -> None:
    assert component_of(name) == component


@pytest.mark.parametrize(
    ("name", "abi"),
    [
        ("lib/arm64-v8a/libapp.so", "arm64-v8a"),
        ("lib/x86_64/sub/libapp.so", "x86_64"),
        ("lib/unknown-abi/libapp.so", None),
        ("lib/arm64-v8a", None),
        ("assets/lib/x86/libapp.so", None),
    ],
)
def test_native_entries_by_abi(name: str, abi: str | None) -> None:
    assert abi_of(name) == abi


NAMES = st.one_of(
    st.sampled_from(["classes.dex", "classes3.dex", "resources.arsc", "AndroidManifest.xml"]),
    st.builds(
        "{}{}".format,
        st.sampled_from(
            ["res/", "lib/", "assets/", "META-INF/", "", *(f"lib/{a}/" for a in KNOWN_ABIS)]
        ),
        st.text(min_size=1, max_size=12),
    ),
)
ENTRIES = st.dictionaries(
    NAMES, st.tuples(st.integers(0, 2**40), st.integers(0, 2**40)), max_size=40
).map(
    lambda sizes: [
        ZipEntry(name, name.encode(), 0, 8, 0, compressed, size, 0)
        for name, (compressed, size) in sizes.items()
    ]
)


@given(ENTRIES)
def test_component_sizes_add_up_to_the_entries_sizes(entries: list[ZipEntry]) -> None:
    sizes = component_sizes(entries)

    everything = Sizes(
        compressed=sum(entry.compressed_size for entry in entries),
        uncompressed=sum(entry.size for entry in entries),
    )
    assert sizes.total == everything
    assert sum((getattr(sizes, name) for name in COMPONENTS), Sizes()) == everything
    for abi in KNOWN_ABIS:
        under = [entry for entry in entries if entry.name.startswith(f"lib/{abi}/")]
        expected = Sizes(
            compressed=sum(entry.compressed_size for entry in under),
            uncompressed=sum(entry.size for entry in under),
        )
        assert sizes.abis.get(abi, Sizes()) == expected
        assert (abi in sizes.abis) == bool(under)
    by_abi = sum(sizes.abis.values(), Sizes())
    assert by_abi.compressed <= sizes.native.compressed
    assert by_abi.uncompressed <= sizes.native.uncompressed


@given(ENTRIES, ENTRIES)
def test_a_comparison_is_after_minus_before(before: list, after: list) -> None:
    old, new = component_sizes(before), component_sizes(after)

    change = compare_sizes(old, new)

    for name in ("total", *COMPONENTS):
        for kind in ("compressed", "uncompressed"):
            side = getattr(getattr(change, name), kind)
            assert side.before == getattr(getattr(old, name), kind)
            assert side.after == getattr(getattr(new, name), kind)
            assert side.delta == side.after - side.before
    assert set(change.abis) == set(old.abis) | set(new.abis)
    assert list(change.abis) == [abi for abi in KNOWN_ABIS if abi in change.abis]


def test_an_abi_only_one_side_has_counts_zero_on_the_other() -> None:
    arm = ComponentSizes(abis={"arm64-v8a": Sizes(compressed=10, uncompressed=30)})

    change = compare_sizes(ComponentSizes(), arm)

    assert change.abis["arm64-v8a"].compressed.model_dump() == {
        "before": 0,
        "after": 10,
        "delta": 10,
    }
    assert change.abis["arm64-v8a"].uncompressed.delta == 30


def test_inspection_reports_the_sizes_of_every_entry() -> None:
    data = build_apk(
        native_abis=["arm64-v8a", "x86_64"],
        files={"assets/data.bin": b"a" * 100, "res/raw/x.bin": b"r" * 50},
    )

    sizes = inspect_apk(io.BytesIO(data)).components

    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert sizes.total == Sizes(
        compressed=sum(info.compress_size for info in infos),
        uncompressed=sum(info.file_size for info in infos),
    )
    assert sizes.assets == Sizes(compressed=100, uncompressed=100)
    assert sizes.resources == Sizes(compressed=50, uncompressed=50)
    assert list(sizes.abis) == ["arm64-v8a", "x86_64"]
    assert sizes.native == sizes.abis["arm64-v8a"] + sizes.abis["x86_64"]
    assert sizes.dex.uncompressed > 0


def test_a_real_apk_adds_up() -> None:
    path = real_apk(SETTINGS_APK)
    with path.open("rb") as file:
        sizes = inspect_apk(file).components

    infos = zipfile.ZipFile(path).infolist()
    assert sizes.total.uncompressed == sum(info.file_size for info in infos)
    dex = sum(info.file_size for info in infos if info.filename.startswith("classes"))
    assert sizes.dex.uncompressed == dex > 0
    assert sizes.resources.uncompressed > 0
