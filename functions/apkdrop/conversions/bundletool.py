"""`bundletool build-apks --mode=universal`, run as the native (GraalVM) build pybundletool ships
with its aapt2: no JVM. Whatever goes wrong is a ConversionFailed with a reason for people."""

import subprocess
import zipfile
from pathlib import Path

import pybundletool

from apkdrop.conversions.keystore import DistributionKeystore

TOOLS = Path(pybundletool.__file__).parent / "binary-files"
UNIVERSAL_ENTRY = "universal.apk"  # where build-apks --mode=universal puts it in the .apks
# bundletool's own words about a failure, at most this much of them, go in the reason.
MAX_REASON_CHARS = 500


class ConversionFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def build_universal_apk(
    bundle: Path, keystore: DistributionKeystore, work: Path, timeout_seconds: int
) -> Path:
    """The universal APK of `bundle`, signed with `keystore`, extracted under `work`."""
    keystore_file = work / "distribution.p12"
    keystore_file.write_bytes(keystore.pkcs12)
    apks = work / "universal.apks"
    password = f"pass:{keystore.password.get_secret_value()}"
    command = [
        str(TOOLS / "bundletool"), "build-apks", f"--bundle={bundle}", f"--output={apks}",
        "--mode=universal", f"--aapt2={TOOLS / 'aapt2'}", f"--ks={keystore_file}",
        f"--ks-pass={password}", f"--ks-key-alias={keystore.alias}", f"--key-pass={password}",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_seconds, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ConversionFailed(f"bundletool took longer than {timeout_seconds} s") from exc
    finally:
        keystore_file.unlink(missing_ok=True)
    if done.returncode != 0:
        words = (done.stderr or done.stdout).strip().splitlines()
        raise ConversionFailed(
            "bundletool could not build an APK: " + (words[-1] if words else "no output")
        )
    return _extract(apks, work)


def _extract(apks: Path, work: Path) -> Path:
    target = work / UNIVERSAL_ENTRY
    try:
        with (
            zipfile.ZipFile(apks) as archive,
            archive.open(UNIVERSAL_ENTRY) as source,
            target.open("wb") as out,
        ):
            while chunk := source.read(1024**2):
                out.write(chunk)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ConversionFailed("bundletool made no universal APK") from exc
    finally:
        apks.unlink(missing_ok=True)
    return target
