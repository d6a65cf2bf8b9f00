"""What sets an Android App Bundle apart from an APK: where its modules keep what an APK has.

A bundle is a zip of modules (``base/``, then one directory per feature module), each with
``manifest/AndroidManifest.xml`` and ``resources.pb`` in aapt2's protobuf format, ``dex/``,
``lib/<abi>/``, ``res/``, ``assets/`` and ``root/`` (files that go to an APK's root);
``BundleConfig.pb`` and the JAR signature's ``META-INF/`` sit at the bundle's root.
"""

from collections.abc import Mapping
from typing import Literal

FileType = Literal["APK", "AAB"]
# What each file is served as: Android's package installer opens the APK type, so a bundle,
# which it cannot install, goes as plain bytes.
MEDIA_TYPES: dict[FileType, str] = {
    "APK": "application/vnd.android.package-archive",
    "AAB": "application/octet-stream",
}

BASE_MODULE = "base"
BUNDLE_CONFIG = "BundleConfig.pb"
BUNDLE_MANIFEST = f"{BASE_MODULE}/manifest/AndroidManifest.xml"
BUNDLE_RESOURCES = f"{BASE_MODULE}/resources.pb"
_APK_MANIFEST = "AndroidManifest.xml"
# Module directories whose files sit at an APK's root.
_AT_APK_ROOT = ("dex/", "root/")
_ROOT_ENTRIES = ("META-INF/", BUNDLE_CONFIG, "BUNDLE-METADATA/")


def is_bundle(entries: Mapping[str, object]) -> bool:
    """An App Bundle: a bundle's config or base manifest, and no APK manifest at the root."""
    return _APK_MANIFEST not in entries and bool({BUNDLE_CONFIG, BUNDLE_MANIFEST} & entries.keys())


def module_entry(name: str) -> tuple[str | None, str]:
    """The module of a bundle entry (None for the bundle's own files) and the name the entry
    would have in an APK: ``feature/dex/classes2.dex`` is ``("feature", "classes2.dex")``;
    ``resources.pb`` counts as ``resources.arsc``."""
    if name.startswith(_ROOT_ENTRIES) or "/" not in name:
        return None, name
    module, rest = name.split("/", 1)
    if rest == "resources.pb":
        return module, "resources.arsc"
    for directory in _AT_APK_ROOT:
        if rest.startswith(directory):
            return module, rest[len(directory) :]
    return module, rest
