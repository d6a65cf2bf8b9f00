"""A bundle's resources.pb costs the memory of the one type a lookup needs: the table and its
packages are walked by hand, each type parsed alone, and one too large is never parsed."""

import io
import zipfile

import pytest

from apkdrop.apk import aapt_proto, proto_resources
from apkdrop.apk.errors import ApkError
from apkdrop.apk.proto_wire import fields
from apkdrop.apk_inspection import inspect_apk
from tests.fixtures.aab_builder import build_bundle
from tests.fixtures.apk_builder import build_zip

RESOURCES = "base/resources.pb"
LIMIT = 64 * 1024


def with_a_huge_type(bundle: bytes) -> bytes:
    """`bundle` whose resources.pb holds one more type of 100,000 empty entries (~600 KiB)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    table = aapt_proto.ResourceTable.FromString(entries[RESOURCES])
    huge = table.package[0].type.add()
    huge.type_id.id = 0x7E
    huge.name = "bogus"
    for number in range(100_000):
        huge.entry.add().entry_id.id = number
    entries[RESOURCES] = table.SerializeToString()
    return build_zip(entries)


def test_only_the_types_a_lookup_needs_are_parsed_and_never_a_huge_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(proto_resources, "MAX_PROTO_TYPE_BYTES", LIMIT)
    parsed: list[int] = []
    real = aapt_proto.Type.FromString

    def counted(data: bytes):
        parsed.append(len(data))
        return real(data)

    monkeypatch.setattr(aapt_proto.Type, "FromString", counted)
    bundle = with_a_huge_type(build_bundle(label="Demo"))

    info = inspect_apk(io.BytesIO(bundle)).info

    assert info.appLabel == "Demo"
    assert parsed and all(size < LIMIT for size in parsed)


def test_a_huge_type_of_the_value_looked_up_leaves_it_unresolved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(proto_resources, "MAX_PROTO_TYPE_BYTES", 16)  # every type is "huge"
    info = inspect_apk(io.BytesIO(build_bundle(label="Demo"))).info
    assert info.appLabel is None and info.packageName  # the rest is read


@pytest.mark.parametrize(
    "data",
    [b"\x12\x05abc", b"\x12", b"\x80" * 11, b"\x0b", b"\x10\x01" * 11],
    ids=["short field", "no length", "endless varint", "group", "too many fields"],
)
def test_what_is_not_a_message_is_an_apk_error(data: bytes) -> None:
    with pytest.raises(ApkError, match="corrupt"):
        list(fields(data, "corrupt", limit=10))
