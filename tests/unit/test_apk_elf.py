"""ELF program headers: alignments of every kind of library, and a reason for every malformed one.

Includes a fuzz: whatever a library's bytes, stored or deflated in an APK, inspection answers
and the check agrees with the reader (a warn with a reason when it cannot read the library).
"""

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkdrop.apk.elf import ElfError, load_alignments
from apkdrop.apk_inspection import inspect_apk
from tests.fixtures.apk_builder import build_apk
from tests.fixtures.elf_builder import MACHINES, PAGE_4KB, PAGE_16KB, elf_library
from tests.unit.test_apk_fuzz import mutated

LIBRARY = "lib/arm64-v8a/libnative.so"


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("byte_order", ["<", ">"])
@pytest.mark.parametrize("alignment", [PAGE_4KB, PAGE_16KB, 64 * 1024])
def test_every_load_segment_alignment_is_read(bits: int, byte_order: str, alignment: int) -> None:
    library = elf_library(bits=bits, byte_order=byte_order, alignment=alignment, loads=3)

    assert load_alignments(io.BytesIO(library)) == [alignment] * 3


def test_program_headers_after_a_gap_are_found() -> None:
    library = elf_library(table_offset=4096)

    assert load_alignments(io.BytesIO(library)) == [PAGE_16KB, PAGE_16KB]


def _patched(library: bytes, at: int, fmt: str, value: int) -> bytes:
    data = bytearray(library)
    struct.pack_into(fmt, data, at, value)
    return bytes(data)


GOOD = elf_library()
# ELF64 little-endian offsets: e_phoff at 32, e_phentsize at 54, e_phnum at 56; p_type of the
# second entry (the first PT_LOAD) at 64 + 56.
MALFORMED = {
    "empty": (b"", "ELF header is truncated"),
    "not ELF": (b"MZ\x90\x00" + bytes(60), "not an ELF file"),
    "class 3": (GOOD[:4] + b"\x03" + GOOD[5:], "unknown ELF class 3"),
    "byte order 0": (GOOD[:5] + b"\x00" + GOOD[6:], "unknown ELF byte order 0"),
    "version 2": (GOOD[:6] + b"\x02" + GOOD[7:], "unknown ELF version 2"),
    "header cut": (GOOD[:40], "ELF header is truncated"),
    "table cut": (GOOD[:100], "ELF header is truncated"),
    "no headers": (_patched(GOOD, 56, "<H", 0), "ELF has no program headers"),
    "extended numbering": (
        _patched(GOOD, 56, "<H", 0xFFFF),
        "ELF uses extended program header numbering",
    ),
    "entry size": (_patched(GOOD, 54, "<H", 32), "ELF program header size is 32, not 56"),
    "table far away": (
        _patched(GOOD, 32, "<Q", 1 << 40),
        "ELF program headers are not within the first 64 KiB",
    ),
    "table inside header": (
        _patched(GOOD, 32, "<Q", 8),
        "ELF program headers are not within the first 64 KiB",
    ),
    "no load": (
        elf_library(loads=0),
        "ELF has no loadable segments",
    ),
    "odd alignment": (
        _patched(GOOD, 64 + 56 + 48, "<Q", 12288),
        "ELF segment alignment 12288 is not a power of two",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_libraries_raise_elf_error_with_a_reason(case: str) -> None:
    data, reason = MALFORMED[case]

    with pytest.raises(ElfError) as raised:
        load_alignments(io.BytesIO(data))

    assert raised.value.reason == reason


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_library_in_an_apk_is_a_warn_with_its_reason(case: str) -> None:
    data, reason = MALFORMED[case]
    apk = build_apk(libraries={LIBRARY: data})

    checks = inspect_apk(io.BytesIO(apk), min_target_sdk=35).checks

    assert checks[0].model_dump() == {
        "id": "page_size_16kb",
        "status": "warn",
        "reason": f"{LIBRARY}: {reason}",
    }


LIBRARY_SAMPLES = [
    elf_library(),
    elf_library(bits=32, byte_order=">", alignment=PAGE_4KB, machine=MACHINES["x86"]),
    elf_library(loads=4, table_offset=200),
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated(LIBRARY_SAMPLES, in_place=True) | mutated(LIBRARY_SAMPLES), st.booleans())
def test_mutated_libraries_never_fail_inspection(library: bytes, compressed: bool) -> None:
    apk = build_apk(libraries={LIBRARY: library}, compress_libraries=compressed)

    try:
        alignments = load_alignments(io.BytesIO(library))
    except ElfError:
        alignments = None
    check = inspect_apk(io.BytesIO(apk), min_target_sdk=35).checks[0]

    assert check.status in ("pass", "warn", "fail") and check.reason
    if alignments is None:
        assert check.status == "warn"
    else:
        assert check.status == ("pass" if min(alignments) >= PAGE_16KB else "fail")
