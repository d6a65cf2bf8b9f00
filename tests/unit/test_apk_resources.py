"""The app label and launcher icon, resolved through resources.arsc."""

import io
import zipfile

import pytest
from pyaxmlparser.arscparser import ARSCParser

from apkdrop.apk import icon as icon_module
from apkdrop.apk.resources import ResourceTable
from apkdrop.apk_inspection import ApkError, ApkInspection, inspect_apk
from tests.fixtures.apk_builder import (
    ANY_DPI,
    DENSITIES,
    ICON_ID,
    LABEL_ID,
    Qualifiers,
    build_apk,
    build_resources,
    png,
    reference,
    webp,
)
from tests.paths import SETTINGS_APK, real_apk

DEFAULT = Qualifiers()
LAYOUTS = ["offset32", "offset16", "sparse", "compact"]


def inspect_with(
    labels: dict | None = None, icons: dict | None = None, files: dict | None = None, **options
) -> ApkInspection:
    """Inspect an APK whose label and icon refer to a table with these values."""
    apk = build_apk(
        label=reference(LABEL_ID),
        icon=reference(ICON_ID),
        resources=build_resources(labels, icons, **options),
        files=files or {},
    )
    return inspect_apk(io.BytesIO(apk))


def label_of(labels: dict, **options) -> str | None:
    return inspect_with(labels, **options).info.appLabel


def mipmap(density: str, extension: str = "png") -> str:
    return f"res/mipmap-{density}-v4/ic_launcher.{extension}"


# Label


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("utf8", [True, False], ids=["utf8", "utf16"])
def test_label_from_the_default_configuration(layout: str, utf8: bool) -> None:
    labels = {Qualifiers("fr"): "Bonjour", DEFAULT: "Hello ✓", Qualifiers("en"): "Hi"}
    assert label_of(labels, layout=layout, utf8=utf8) == "Hello ✓"


def test_label_falls_back_to_english() -> None:
    labels = {Qualifiers("fr"): "Bonjour", Qualifiers("en"): "Hello"}
    assert label_of(labels) == "Hello"


def test_label_falls_back_to_the_first_configuration() -> None:
    labels = {Qualifiers("de"): "Hallo", Qualifiers("fr"): "Bonjour"}
    assert label_of(labels) == "Hallo"


def test_label_with_only_other_qualifiers_prefers_fewest() -> None:
    labels = {Qualifiers(night=True): "Dark", Qualifiers(density=480): "Dense"}
    assert label_of(labels) == "Dense"


def test_label_as_a_long_utf16_string() -> None:
    long_label = "é" * 40_000  # needs the two-unit length prefix
    assert label_of({DEFAULT: long_label}, utf8=False) == long_label[:1000]


@pytest.mark.parametrize(
    "labels",
    [{DEFAULT: LABEL_ID}, {DEFAULT: 0x7F010007}, {DEFAULT: 0x01040000}],
    ids=["cycle", "missing-entry", "framework"],
)
def test_label_that_leads_nowhere_is_null(labels: dict) -> None:
    assert label_of(labels) is None


def test_label_reference_without_a_resource_table_is_null() -> None:
    apk = build_apk(label=reference(LABEL_ID))
    assert inspect_apk(io.BytesIO(apk)).info.appLabel is None


def test_resource_table_is_not_read_when_nothing_refers_to_it() -> None:
    apk = build_apk(label="Literal", resources=b"not a resource table")
    assert inspect_apk(io.BytesIO(apk)).info.appLabel == "Literal"


@pytest.mark.parametrize(
    "table",
    [b"", b"\x02\x00\x0c\x00", bytes(64), build_resources()[:-9], b"\x02\x00" + bytes(200)],
    ids=["empty", "header-only", "zeros", "cut", "bad-sizes"],
)
def test_invalid_resource_table(table: bytes) -> None:
    apk = build_apk(label=reference(LABEL_ID), resources=table)
    with pytest.raises(ApkError) as caught:
        inspect_apk(io.BytesIO(apk))
    assert caught.value.reason == "resources.arsc is not a valid resource table"


def test_table_reads_like_pyaxmlparsers_on_the_real_apk() -> None:
    with zipfile.ZipFile(real_apk(SETTINGS_APK)) as archive:
        data = archive.read("resources.arsc")
    ours = ResourceTable(data)
    theirs = ARSCParser(data)
    package = theirs.get_packages_names()[0]
    for resource_id in (0x7F080000, 0x7F040015):  # the manifest's label and icon
        expected = sorted(value for _, value in theirs.get_resolved_res_configs(resource_id))
        assert sorted(value.text for _, value in ours.values(resource_id)) == expected
    assert theirs.get_string(package, "app_name")[1] == ours.values(0x7F080000)[0][1].text


# Icon


@pytest.mark.parametrize("layout", LAYOUTS)
def test_icon_is_the_densest_raster(layout: str) -> None:
    icons = {Qualifiers(density=DENSITIES[name]): mipmap(name) for name in ("mdpi", "xxhdpi")}
    icons[Qualifiers(density=ANY_DPI)] = "res/mipmap-anydpi-v26/ic_launcher.xml"  # adaptive
    files = {
        mipmap("mdpi"): png(1, 1),
        mipmap("xxhdpi"): png(3, 3),
        icons[Qualifiers(density=ANY_DPI)]: b"<xml/>",
    }
    inspection = inspect_with(icons=icons, files=files, layout=layout)
    assert inspection.info.icon.model_dump() == {
        "path": mipmap("xxhdpi"),
        "mediaType": "image/png",
        "density": 480,
        "size": len(png(3, 3)),
    }
    assert inspection.icon == png(3, 3)


def test_icon_in_webp() -> None:
    icons = {Qualifiers(density=640): mipmap("xxxhdpi", "webp")}
    inspection = inspect_with(icons=icons, files={mipmap("xxxhdpi", "webp"): webp()})
    assert (inspection.info.icon.mediaType, inspection.icon) == ("image/webp", webp())


def test_icon_without_density_qualifier() -> None:
    inspection = inspect_with(icons={DEFAULT: "res/icon.png"}, files={"res/icon.png": png()})
    assert (inspection.info.icon.path, inspection.info.icon.density) == ("res/icon.png", None)


def test_plain_icon_is_preferred_to_a_night_one() -> None:
    icons = {
        Qualifiers(density=640, night=True): "res/night.png",
        Qualifiers(density=160): "res/day.png",
    }
    files = {"res/night.png": png(), "res/day.png": png()}
    assert inspect_with(icons=icons, files=files).info.icon.path == "res/day.png"


def test_only_vector_icons_means_no_icon() -> None:
    icons = {Qualifiers(density=ANY_DPI): "res/ic.xml", DEFAULT: "res/ic_vector.xml"}
    inspection = inspect_with(icons=icons, files={"res/ic.xml": b"x", "res/ic_vector.xml": b"x"})
    assert (inspection.info.icon, inspection.icon) == (None, None)


def test_icon_missing_from_the_archive_is_skipped() -> None:
    icons = {Qualifiers(density=640): "res/gone.png", Qualifiers(density=240): "res/here.png"}
    assert inspect_with(icons=icons, files={"res/here.png": png()}).info.icon.path == "res/here.png"


def test_icon_beyond_the_size_cap_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    big, small = png(60, 60), png(1, 1)
    monkeypatch.setattr(icon_module, "MAX_ICON_BYTES", len(small))
    assert len(big) > len(small)
    icons = {Qualifiers(density=640): "res/big.png", Qualifiers(density=160): "res/small.png"}
    inspection = inspect_with(icons=icons, files={"res/big.png": big, "res/small.png": small})
    assert (inspection.info.icon.path, inspection.icon) == ("res/small.png", small)


def test_file_that_is_not_an_image_is_no_icon() -> None:
    inspection = inspect_with(icons={DEFAULT: "res/icon.png"}, files={"res/icon.png": b"GIF89a"})
    assert (inspection.info.icon, inspection.icon) == (None, None)


def test_icon_alias_cycle_ends() -> None:
    icons = {Qualifiers(density=640): ICON_ID, Qualifiers(density=160): "res/icon.png"}
    assert inspect_with(icons=icons, files={"res/icon.png": png()}).info.icon.density == 160
