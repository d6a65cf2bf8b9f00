"""Where an APK's bytes go: each zip entry belongs to one component, by its name alone.

The sizes come from the central directory, which inspection has already read, so they cost no
read. Comparisons of two APKs (a context's pairing, later a version's insights) use these. A
bundle's entries count as the APK entries they become (``base/dex/classes.dex`` is dex), and
add up by module too.
"""

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from apkdrop.apk.archive import ZipEntry
from apkdrop.apk.bundle import FileType, module_entry

# The ABIs Android installs native code for, in the order we list them.
KNOWN_ABIS = ("arm64-v8a", "armeabi-v7a", "armeabi", "x86_64", "x86", "riscv64", "mips64", "mips")
_DEX = re.compile(r"classes[0-9]*\.dex")
_NATIVE_LIBRARY = re.compile(r"lib/([^/]+)/[^/]+")


class Sizes(BaseModel):
    """Bytes as stored in the zip (compressed) and once inflated (uncompressed)."""

    model_config = ConfigDict(frozen=True)

    compressed: int = 0
    uncompressed: int = 0

    def __add__(self, other: "Sizes") -> "Sizes":
        return Sizes(
            compressed=self.compressed + other.compressed,
            uncompressed=self.uncompressed + other.uncompressed,
        )


class ComponentSizes(BaseModel):
    """An APK's entries by component; the five components add up to ``total``."""

    model_config = ConfigDict(frozen=True)

    total: Sizes = Sizes()
    """Every entry."""
    dex: Sizes = Sizes()
    """``classes.dex``, ``classes2.dex``, ..."""
    resources: Sizes = Sizes()
    """``resources.arsc`` and ``res/``."""
    native: Sizes = Sizes()
    """``lib/``."""
    assets: Sizes = Sizes()
    """``assets/``."""
    other: Sizes = Sizes()
    """Everything else: the manifest, signatures, ``META-INF/``, Java resources..."""
    abis: dict[str, Sizes] = {}
    """``native`` by ABI, ``lib/<abi>/``, for the ABIs Android knows."""
    modules: dict[str, Sizes] = {}
    """A bundle's entries by module (``base``, then feature modules by name); the bundle's own
    files (``BundleConfig.pb``, ``META-INF/``) are in no module. Empty for an APK."""


COMPONENTS = ("dex", "resources", "native", "assets", "other")


def component_of(name: str) -> str:
    """The component, one of COMPONENTS, an entry of this name belongs to."""
    if _DEX.fullmatch(name):
        return "dex"
    if name == "resources.arsc" or name.startswith("res/"):
        return "resources"
    for component, prefix in (("native", "lib/"), ("assets", "assets/")):
        if name.startswith(prefix):
            return component
    return "other"


def abi_of(name: str) -> str | None:
    """The ABI of a native entry ``lib/<abi>/...``, if Android knows that ABI."""
    parts = name.split("/", 2)
    if len(parts) == 3 and parts[0] == "lib" and parts[1] in KNOWN_ABIS:
        return parts[1]
    return None


def native_abis(names: Iterable[str], file_type: FileType) -> list[str]:
    """ABIs with at least one file under lib/<abi>/ (of any module, in a bundle), among those
    Android knows."""
    found = set()
    for name in names:
        apk_name = module_entry(name)[1] if file_type == "AAB" else name
        if match := _NATIVE_LIBRARY.fullmatch(apk_name):
            found.add(match.group(1))
    return [abi for abi in KNOWN_ABIS if abi in found]


def component_sizes(entries: Iterable[ZipEntry], file_type: FileType = "APK") -> ComponentSizes:
    """Adds up the entries' sizes by component, for native code by ABI, and by module."""
    sums: dict[str, Sizes] = dict.fromkeys(("total", *COMPONENTS), Sizes())
    abis: dict[str, Sizes] = {}
    modules: dict[str, Sizes] = {}
    for entry in entries:
        sizes = Sizes(compressed=entry.compressed_size, uncompressed=entry.size)
        module, name = module_entry(entry.name) if file_type == "AAB" else (None, entry.name)
        sums["total"] += sizes
        sums[component_of(name)] += sizes
        if (abi := abi_of(name)) is not None:
            abis[abi] = abis.get(abi, Sizes()) + sizes
        if module is not None:
            modules[module] = modules.get(module, Sizes()) + sizes
    ordered = {abi: abis[abi] for abi in KNOWN_ABIS if abi in abis}
    return ComponentSizes.model_validate({**sums, "abis": ordered, "modules": modules})


class SizeChange(BaseModel):
    """A size in bytes before and after, and ``delta`` = after - before."""

    model_config = ConfigDict(frozen=True)

    before: int
    after: int
    delta: int


class ComponentChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    compressed: SizeChange
    """As stored in the zip: what testers download."""
    uncompressed: SizeChange


class SizeComparison(BaseModel):
    """How each component's size changed from one APK to another (see ComponentSizes)."""

    model_config = ConfigDict(frozen=True)

    total: ComponentChange
    dex: ComponentChange
    resources: ComponentChange
    native: ComponentChange
    assets: ComponentChange
    other: ComponentChange
    abis: dict[str, ComponentChange]
    """Every ABI either APK has; 0 bytes on the side that lacks it."""
    modules: dict[str, ComponentChange] = {}
    """Every module either bundle has (base first); 0 bytes on the side that lacks it, and
    empty when neither is a bundle."""


def compare_sizes(before: ComponentSizes, after: ComponentSizes) -> SizeComparison:
    abis = [abi for abi in KNOWN_ABIS if abi in before.abis or abi in after.abis]
    changes = {
        name: _change(getattr(before, name), getattr(after, name))
        for name in ("total", *COMPONENTS)
    }
    by_abi = {
        abi: _change(before.abis.get(abi, Sizes()), after.abis.get(abi, Sizes())) for abi in abis
    }
    modules = dict.fromkeys([*before.modules, *after.modules])
    by_module = {
        module: _change(before.modules.get(module, Sizes()), after.modules.get(module, Sizes()))
        for module in modules
    }
    return SizeComparison.model_validate({**changes, "abis": by_abi, "modules": by_module})


def _change(before: Sizes, after: Sizes) -> ComponentChange:
    return ComponentChange(
        compressed=size_change(before.compressed, after.compressed),
        uncompressed=size_change(before.uncompressed, after.uncompressed),
    )


def size_change(before: int, after: int) -> SizeChange:
    return SizeChange(before=before, after=after, delta=after - before)
