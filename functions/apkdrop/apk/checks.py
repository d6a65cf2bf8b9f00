"""Play-readiness checks: what Google Play would reject in an APK, each with a one-line reason.

``page_size_16kb`` reads each 64-bit native library's ELF header and program headers through
its zip entry (one ranged read each, all fetched at once in the background where the source
can, see prefetch_library_headers); the others look only at what inspection found. Play
rejects every ``fail``: native code not aligned for 16 KB pages, a target SDK below its minimum,
a debuggable APK, an APK with no v2 or newer signature. A library we cannot read is a ``warn``.
A bundle is checked as Play checks what it uploads: its libraries of every module (bundletool
aligns their offsets when it builds the APKs), and a v1 signature (the upload key) is enough.
"""

import re

from apkdrop.apk.archive import STORED, Archive, ZipEntry
from apkdrop.apk.bundle import FileType
from apkdrop.apk.elf import ElfError, load_alignments
from apkdrop.apk.entry_prefix import EntryPrefix, prefix_span
from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_CHECKED_LIBRARIES, MAX_ELF_HEADERS_BYTES, MAX_NAME_CHARS
from apkdrop.apk.models import ApkInfo, CheckId, CheckStatus, PlayCheck

PAGE_SIZE = 16 * 1024
# Play's 16 KB requirement covers the 64-bit ABIs only.
_LIBRARY = {
    "APK": re.compile(r"lib/(?:arm64-v8a|x86_64)/[^/]+\.so"),
    "AAB": re.compile(r"[^/]+/lib/(?:arm64-v8a|x86_64)/[^/]+\.so"),
}
_V2_OR_NEWER = ("v2", "v3", "v3.1")
CHECK_TITLES: dict[CheckId, str] = {
    "page_size_16kb": "16 KB page size",
    "target_sdk": "Target SDK",
    "target_sdk_declared": "Target SDK declared",
    "debuggable": "Not debuggable",
    "signing": "APK Signature Scheme v2+",
}
"""How people see each check's id (the install page)."""


def play_checks(archive: Archive, info: ApkInfo, min_target_sdk: int) -> list[PlayCheck]:
    """Every check, in a fixed order."""
    return [
        page_size_check(archive, info.fileType),
        target_sdk_check(info, min_target_sdk),
        target_sdk_declared_check(info),
        debuggable_check(info),
        signing_check(info),
    ]


def failure_lines(checks: list[PlayCheck]) -> list[str]:
    """One line per failed check, for an upload's warnings."""
    return [
        f"Play-readiness check {check.id} failed: {check.reason}"
        for check in checks
        if check.status == "fail"
    ]


def library_header_spans(archive: Archive, file_type: FileType) -> list[tuple[int, int]]:
    """What page_size_check reads, to be fetched while the rest of inspection runs."""
    checked = _libraries(archive, file_type)[:MAX_CHECKED_LIBRARIES]
    return [prefix_span(entry, MAX_ELF_HEADERS_BYTES) for entry in checked]


def page_size_check(archive: Archive, file_type: FileType = "APK") -> PlayCheck:
    """Every 64-bit library's PT_LOAD segments, and in an APK a stored one's zip offset, 16 KB-
    aligned."""
    libraries = _libraries(archive, file_type)
    if not libraries:
        return _check("page_size_16kb", "pass", "no 64-bit native libraries")
    checked = libraries[:MAX_CHECKED_LIBRARIES]
    problems = [
        p for entry in checked if (p := _library_problem(archive, entry, file_type)) is not None
    ]
    failed = [reason for status, reason in problems if status == "fail"]
    if failed:
        return _check("page_size_16kb", "fail", _first_of(failed))
    if problems:
        return _check("page_size_16kb", "warn", _first_of([reason for _, reason in problems]))
    if len(libraries) > len(checked):
        return _check(
            "page_size_16kb",
            "warn",
            f"the first {len(checked)} of {len(libraries)} 64-bit native libraries are "
            "16 KB-aligned; the rest were not read",
        )
    count = f"{len(libraries)} 64-bit native librar{'y is' if len(libraries) == 1 else 'ies are'}"
    return _check("page_size_16kb", "pass", f"{count} 16 KB-aligned")


def target_sdk_check(info: ApkInfo, minimum: int) -> PlayCheck:
    """The target SDK Android uses (minSdkVersion when none is declared) meets Play's minimum."""
    declared = info.targetSdkVersion
    if declared is None:
        effective = info.minSdkVersion or 1
        what = f"no targetSdkVersion, so Android takes minSdkVersion {effective}"
    else:
        effective = declared
        what = f"targetSdkVersion {declared}"
    if effective < minimum:
        return _check("target_sdk", "fail", f"{what}, below Play's minimum of {minimum}")
    return _check("target_sdk", "pass", f"{what} meets Play's minimum of {minimum}")


def target_sdk_declared_check(info: ApkInfo) -> PlayCheck:
    if info.targetSdkVersion is None:
        return _check("target_sdk_declared", "fail", "the manifest declares no targetSdkVersion")
    return _check("target_sdk_declared", "pass", "the manifest declares targetSdkVersion")


def debuggable_check(info: ApkInfo) -> PlayCheck:
    if info.debuggable:
        return _check("debuggable", "fail", "android:debuggable is true; Play rejects it")
    return _check("debuggable", "pass", "not debuggable")


def signing_check(info: ApkInfo) -> PlayCheck:
    """A v2 or newer signature: Android 11 refuses v1-only APKs that target SDK 30 or later."""
    schemes = info.signing.schemes if info.signing else []
    if info.fileType == "AAB":
        if not schemes:
            return _check("signing", "fail", "the bundle is unsigned; Play needs the upload key's")
        return _check("signing", "pass", f"signed with {', '.join(schemes)} (the upload key)")
    if not schemes:
        return _check("signing", "fail", "the APK is unsigned")
    if not any(scheme in _V2_OR_NEWER for scheme in schemes):
        return _check("signing", "fail", "only a v1 (JAR) signature; Play needs v2 or newer")
    return _check("signing", "pass", f"signed with {', '.join(schemes)}")


def _libraries(archive: Archive, file_type: FileType) -> list[ZipEntry]:
    pattern = _LIBRARY[file_type]
    return [entry for name, entry in archive.entries.items() if pattern.fullmatch(name)]


def _library_problem(
    archive: Archive, entry: ZipEntry, file_type: FileType
) -> tuple[CheckStatus, str] | None:
    """Why one library is not 16 KB-ready (fail), or cannot be read (warn); None if it is."""
    name = entry.name[:MAX_NAME_CHARS]  # zip names reach 64 KiB; checks are stored
    try:
        prefix = EntryPrefix(archive, entry, MAX_ELF_HEADERS_BYTES)
        alignments = load_alignments(prefix)
    except (ApkError, ElfError) as exc:
        return "warn", f"{name}: {exc.reason}"
    smallest = max(min(alignments), 1)  # 0 means unaligned, as 1 does
    if smallest < PAGE_SIZE:
        return "fail", f"{name}: LOAD segments aligned to {_bytes(smallest)}, not 16 KB"
    if file_type == "APK" and entry.method == STORED and prefix.data_offset % PAGE_SIZE:
        return "fail", (
            f"{name}: stored uncompressed at offset {prefix.data_offset}, "
            "not 16 KB-aligned (zipalign -P 16)"
        )
    return None


def _first_of(reasons: list[str]) -> str:
    more = len(reasons) - 1
    return reasons[0] + (f" (and {more} more)" if more else "")


def _bytes(count: int) -> str:
    return f"{count // 1024} KB" if count >= 1024 and count % 1024 == 0 else f"{count} bytes"


def _check(check_id: CheckId, status: CheckStatus, reason: str) -> PlayCheck:
    return PlayCheck(id=check_id, status=status, reason=reason)
