"""Play-readiness checks: each check's statuses, and what the page size check reads."""

import io
import os
import zlib
from types import SimpleNamespace

import pytest

from apkdrop.apk import checks as checks_module
from apkdrop.apk import entry_prefix
from apkdrop.apk.models import ApkInfo, ApkSigning
from apkdrop.apk.source import READ_WINDOW_BYTES
from apkdrop.apk_inspection import ApkError, PlayCheck, failure_lines, inspect_apk
from tests.fixtures.apk_builder import build_apk, generated_signer, play_ready, write_apk
from tests.fixtures.elf_builder import MACHINES, PAGE_4KB, elf_library

ARM64 = "lib/arm64-v8a/libnative.so"
X86_64 = "lib/x86_64/libnative.so"


def checks_of(apk: bytes, minimum: int = 35) -> dict[str, PlayCheck]:
    return {
        check.id: check for check in inspect_apk(io.BytesIO(apk), min_target_sdk=minimum).checks
    }


def page_size(apk: bytes) -> tuple[str, str]:
    check = checks_of(apk)["page_size_16kb"]
    return check.status, check.reason


def test_a_play_ready_apk_passes_every_check_in_order() -> None:
    checks = inspect_apk(
        io.BytesIO(build_apk(native_abis=["arm64-v8a", "x86_64"], **play_ready())),
        min_target_sdk=35,
    ).checks

    assert [(check.id, check.status) for check in checks] == [
        ("page_size_16kb", "pass"),
        ("target_sdk", "pass"),
        ("target_sdk_declared", "pass"),
        ("debuggable", "pass"),
        ("signing", "pass"),
    ]
    assert checks[0].reason == "2 64-bit native libraries are 16 KB-aligned"
    assert failure_lines(checks) == []


def test_without_a_minimum_no_check_runs() -> None:
    assert inspect_apk(io.BytesIO(build_apk(native_abis=["arm64-v8a"]))).checks == []


def test_no_64_bit_library_passes() -> None:
    apk = build_apk(libraries={"lib/armeabi-v7a/libold.so": elf_library(bits=32, alignment=4096)})

    assert page_size(apk) == ("pass", "no 64-bit native libraries")


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("bits", [32, 64])
def test_4kb_load_segments_fail_stored_or_compressed(compressed: bool, bits: int) -> None:
    apk = build_apk(
        libraries={ARM64: elf_library(bits=bits, alignment=PAGE_4KB, body_bytes=100_000)},
        compress_libraries=compressed,
    )

    assert page_size(apk) == ("fail", f"{ARM64}: LOAD segments aligned to 4 KB, not 16 KB")


@pytest.mark.parametrize("compressed", [False, True])
def test_16kb_load_segments_pass_stored_or_compressed(compressed: bool) -> None:
    apk = build_apk(
        libraries={X86_64: elf_library(body_bytes=100_000)}, compress_libraries=compressed
    )

    assert page_size(apk) == ("pass", "1 64-bit native library is 16 KB-aligned")


def test_a_stored_library_off_a_16kb_boundary_fails() -> None:
    apk = build_apk(libraries={ARM64: elf_library()}, library_offset_alignment=1)

    assert page_size(apk) == (
        "fail",
        f"{ARM64}: stored uncompressed at offset 526, not 16 KB-aligned (zipalign -P 16)",
    )


def test_a_compressed_library_needs_no_offset_alignment() -> None:
    apk = build_apk(libraries={ARM64: elf_library()}, compress_libraries=True)

    assert page_size(apk)[0] == "pass"


def test_a_failure_outranks_a_warning_and_counts_the_rest() -> None:
    apk = build_apk(
        libraries={
            "lib/arm64-v8a/libbroken.so": b"garbage",
            "lib/arm64-v8a/libold.so": elf_library(alignment=PAGE_4KB),
            "lib/x86_64/libold.so": elf_library(alignment=PAGE_4KB, machine=MACHINES["x86_64"]),
        }
    )

    assert page_size(apk) == (
        "fail",
        "lib/arm64-v8a/libold.so: LOAD segments aligned to 4 KB, not 16 KB (and 1 more)",
    )


def test_beyond_the_libraries_checked_the_rest_is_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(checks_module, "MAX_CHECKED_LIBRARIES", 2)
    apk = build_apk(libraries={f"lib/arm64-v8a/lib{n}.so": elf_library() for n in range(3)})

    assert page_size(apk) == (
        "warn",
        "the first 2 of 3 64-bit native libraries are 16 KB-aligned; the rest were not read",
    )


def test_a_long_library_name_is_cut_in_the_reason() -> None:
    name = "lib/arm64-v8a/" + "a" * 1000 + ".so"

    status, reason = page_size(build_apk(libraries={name: b"junk" * 16}))

    assert status == "warn" and reason == name[:255] + ": not an ELF file"


def info(**fields) -> ApkInfo:
    values = {
        "packageName": "com.example.app",
        "versionName": "1.0",
        "versionCode": 1,
        "minSdkVersion": 24,
        "targetSdkVersion": 35,
        "hasInstrumentation": False,
        "signing": ApkSigning(schemes=["v2"], signerSha256="AB"),
    }
    return ApkInfo.model_validate({**values, **fields})


@pytest.mark.parametrize(
    ("fields", "minimum", "status", "reason"),
    [
        ({"targetSdkVersion": 35}, 35, "pass", "targetSdkVersion 35 meets Play's minimum of 35"),
        ({"targetSdkVersion": 34}, 35, "fail", "targetSdkVersion 34, below Play's minimum of 35"),
        ({"targetSdkVersion": 34}, 34, "pass", "targetSdkVersion 34 meets Play's minimum of 34"),
        (
            {"targetSdkVersion": None, "minSdkVersion": 24},
            35,
            "fail",
            "no targetSdkVersion, so Android takes minSdkVersion 24, below Play's minimum of 35",
        ),
        (
            {"targetSdkVersion": None, "minSdkVersion": None},
            35,
            "fail",
            "no targetSdkVersion, so Android takes minSdkVersion 1, below Play's minimum of 35",
        ),
        (
            {"targetSdkVersion": None, "minSdkVersion": 36},
            35,
            "pass",
            "no targetSdkVersion, so Android takes minSdkVersion 36 meets Play's minimum of 35",
        ),
    ],
)
def test_target_sdk(fields: dict, minimum: int, status: str, reason: str) -> None:
    check = checks_module.target_sdk_check(info(**fields), minimum)

    assert (check.id, check.status, check.reason) == ("target_sdk", status, reason)


def test_target_sdk_declared() -> None:
    assert checks_module.target_sdk_declared_check(info()).status == "pass"
    missing = checks_module.target_sdk_declared_check(info(targetSdkVersion=None))
    assert (missing.status, missing.reason) == (
        "fail",
        "the manifest declares no targetSdkVersion",
    )


def test_debuggable() -> None:
    assert checks_module.debuggable_check(info()).status == "pass"
    debuggable = checks_module.debuggable_check(info(debuggable=True))
    assert (debuggable.status, debuggable.reason) == (
        "fail",
        "android:debuggable is true; Play rejects it",
    )


@pytest.mark.parametrize(
    ("schemes", "status", "reason"),
    [
        ([], "fail", "the APK is unsigned"),
        (["v1"], "fail", "only a v1 (JAR) signature; Play needs v2 or newer"),
        (["v1", "v2"], "pass", "signed with v1, v2"),
        (["v3"], "pass", "signed with v3"),
        (["v3.1"], "pass", "signed with v3.1"),
    ],
)
def test_signing(schemes: list, status: str, reason: str) -> None:
    signing = ApkSigning(schemes=schemes, signerSha256="AB" if schemes else None)

    check = checks_module.signing_check(info(signing=signing))

    assert (check.status, check.reason) == (status, reason)


def test_a_build_stored_before_signing_was_reported_reads_as_unsigned() -> None:
    assert checks_module.signing_check(info(signing=None)).status == "fail"


def test_checks_from_real_manifests_agree_with_the_apk() -> None:
    apk = build_apk(target_sdk=None, debuggable=True, signer=generated_signer(), schemes=["v1"])

    checks = checks_of(apk)

    assert {name: check.status for name, check in checks.items()} == {
        "page_size_16kb": "pass",
        "target_sdk": "fail",
        "target_sdk_declared": "fail",
        "debuggable": "fail",
        "signing": "fail",
    }
    assert failure_lines(list(checks.values()))[-1] == (
        "Play-readiness check signing failed: only a v1 (JAR) signature; Play needs v2 or newer"
    )


class CountingReader(io.FileIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def bytes_read(path: os.PathLike, minimum: int | None) -> int:
    with CountingReader(path) as reader:
        inspect_apk(reader, min_target_sdk=minimum)
        return reader.bytes_read


def test_the_page_size_check_reads_only_each_librarys_header(tmp_path) -> None:
    # Libraries of 2 MiB each, random so that deflating them does not shrink them, stored and
    # compressed: the check reads one window per library, never the libraries themselves.
    body = os.urandom(2 * 1024 * 1024)
    libraries = {
        f"lib/{abi}/lib{n}.so": elf_library() + body
        for abi in ("arm64-v8a", "x86_64")
        for n in "ab"
    }
    for compressed in (False, True):
        path = write_apk(
            tmp_path / f"native-{compressed}.apk",
            libraries=libraries,
            compress_libraries=compressed,
            padding_bytes=8 * 1024 * 1024,
        )

        alone = bytes_read(path, None)
        checked = bytes_read(path, 35)

        assert checked - alone <= len(libraries) * READ_WINDOW_BYTES
        assert checked - alone < path.stat().st_size / 20


class RangesReader(CountingReader):
    """A file that also reads several ranges at once, like the storage adapter's reader."""

    range_calls: list[list[tuple[int, int]]]

    def read_ranges(self, ranges, /) -> list[bytes]:
        # pread: the reads run on another thread while the file's position moves on this one.
        self.range_calls.append(list(ranges))
        data = [os.pread(self.fileno(), length, offset) for offset, length in ranges]
        self.bytes_read += sum(map(len, data))
        return data


def test_libraries_headers_are_fetched_at_once_then_read_from_memory(tmp_path) -> None:
    # Each library sits 1 MiB past the last, beyond the windows inspection reads itself.
    body = os.urandom(1024 * 1024)
    libraries = {f"lib/arm64-v8a/lib{n}.so": elf_library() + body for n in "abcd"}
    for compressed in (False, True):
        path = write_apk(
            tmp_path / f"native-{compressed}.apk",
            libraries=libraries,
            compress_libraries=compressed,
            padding_bytes=4 * 1024 * 1024,
        )
        sequential = checks_of_file(CountingReader(path))
        with RangesReader(path) as reader:
            reader.range_calls = []
            concurrent = inspect_apk(reader, min_target_sdk=35).checks

        assert concurrent == sequential
        # Each span on its own request, started before the manifest is read: the manifest's
        # window (with the first library's header, less than a window away) and the others'
        # headers, each only as long as its headers need.
        assert all(len(call) == 1 for call in reader.range_calls)
        spans = sorted(call[0] for call in reader.range_calls)
        assert len(spans) == len(libraries)
        assert all(length < READ_WINDOW_BYTES for _, length in spans[1:])
        assert reader.bytes_read < bytes_read(path, 35)


def test_prefetched_bytes_count_toward_the_read_limit(tmp_path, monkeypatch) -> None:
    from apkdrop.apk import source

    libraries = {f"lib/x86_64/lib{n}.so": elf_library() + os.urandom(1024 * 1024) for n in "abc"}
    path = write_apk(tmp_path / "native.apk", libraries=libraries, padding_bytes=2 * 1024 * 1024)
    alone = bytes_read(path, None)
    monkeypatch.setattr(source, "MAX_READ_BYTES", alone + 1024)
    with RangesReader(path) as reader, pytest.raises(ApkError, match="MiB of reads"):
        reader.range_calls = []
        inspect_apk(reader, min_target_sdk=35)


def checks_of_file(reader: CountingReader) -> list[PlayCheck]:
    with reader:
        return inspect_apk(reader, min_target_sdk=35).checks


def test_a_deflated_library_is_inflated_only_up_to_its_headers(monkeypatch) -> None:
    inflated = []
    real = zlib.decompressobj

    class Counting:
        def __init__(self, *args) -> None:
            self._inflater = real(*args)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            out = self._inflater.decompress(data, max_length)
            inflated.append(len(out))
            return out

        def __getattr__(self, name: str):
            return getattr(self._inflater, name)

    counting_zlib = SimpleNamespace(
        decompressobj=Counting, MAX_WBITS=zlib.MAX_WBITS, error=zlib.error
    )
    monkeypatch.setattr(entry_prefix, "zlib", counting_zlib)
    apk = build_apk(
        libraries={ARM64: elf_library(body_bytes=8 * 1024 * 1024)}, compress_libraries=True
    )

    assert page_size(apk)[0] == "pass"
    assert 0 < sum(inflated) <= 1024  # the header and program headers, no more
