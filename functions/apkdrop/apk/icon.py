"""The launcher icon: the highest-density raster file the icon resource resolves to.

Since Android 8 the best match is often an adaptive icon (XML) in mipmap-anydpi-v26; those and
vector drawables are skipped for the densest PNG or WebP the same resource offers.
"""

from dataclasses import dataclass

from apkdrop.apk.archive import Archive, ZipEntry
from apkdrop.apk.limits import MAX_ICON_BYTES, MAX_REFERENCE_DEPTH
from apkdrop.apk.models import IconMediaType
from apkdrop.apk.resources import Config, ValueTable

_RASTER_SUFFIXES = (".png", ".webp")
_MDPI = 160  # what Android assumes of a resource without a density qualifier
_ANY_DPI, _NO_DPI = 0xFFFE, 0xFFFF


@dataclass(frozen=True)
class Icon:
    """A launcher icon file and the density (dpi) of its configuration, if it has one."""

    entry: ZipEntry
    density: int | None
    media_type: IconMediaType
    data: bytes


def read_icon(archive: Archive, table: ValueTable, resource_id: int) -> Icon | None:
    """The densest raster icon within MAX_ICON_BYTES, or None if the APK has none.

    Plain configurations (no locale, night mode...) are preferred; a file that is not really a
    PNG or WebP is not an icon.
    """
    rasters = [
        (config, archive.entries[path])
        for config, path in _files(table, resource_id)
        if path.lower().endswith(_RASTER_SUFFIXES)
        and path in archive.entries
        and archive.entries[path].size <= MAX_ICON_BYTES
    ]
    if not rasters:
        return None
    config, entry = max(rasters, key=lambda raster: (raster[0].plain, _density_rank(raster[0])))
    data = archive.read(entry, MAX_ICON_BYTES)
    media_type = _media_type(data)
    if media_type is None:
        return None
    density = config.density if config.density not in (0, _ANY_DPI, _NO_DPI) else None
    return Icon(entry, density, media_type, data)


def _files(table: ValueTable, resource_id: int) -> list[tuple[Config, str]]:
    """Every file path ``resource_id`` names in any configuration, following aliases."""
    files = []
    seen = set()
    pending = [(resource_id, 0)]
    while pending:
        current, depth = pending.pop()
        if current in seen or depth > MAX_REFERENCE_DEPTH:
            continue
        seen.add(current)
        for config, value in table.values(current):
            if value.text is not None:
                files.append((config, value.text))
            elif value.reference is not None:
                pending.append((value.reference, depth + 1))
    return files


def _density_rank(config: Config) -> int:
    """Higher for denser files; any-dpi and no-dpi rasters only when nothing else exists."""
    if config.density in (_ANY_DPI, _NO_DPI):
        return 0
    return config.density or _MDPI


def _media_type(data: bytes) -> IconMediaType | None:
    """The media type the file's first bytes announce, if PNG or WebP."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None
