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


class TooLarge(Exception):
    """The universal APK would be larger than allowed; its size in the message."""


def build_universal_apk(
    bundle: Path,
    keystore: DistributionKeystore,
    work: Path,
    timeout_seconds: int,
    max_apk_bytes: int,
) -> Path:
    """The universal APK of `bundle` (deleted once read), signed with `keystore`, extracted
    under `work`; TooLarge past `max_apk_bytes`, before it is extracted."""
    keystore_file = work / "distribution.p12"
    keystore_file.write_bytes(keystore.pkcs12)
    # The password in a file of its own, not on a command line every process may read.
    password_file = work / "distribution.pass"
    password_file.touch(mode=0o600)
    password_file.write_text(keystore.password.get_secret_value())
    apks = work / "universal.apks"
    password = f"file:{password_file}"
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
        password_file.unlink(missing_ok=True)
        bundle.unlink(missing_ok=True)  # /tmp is memory: the .apks and the APK come next
    if done.returncode != 0:
        words = (done.stderr or done.stdout).strip().splitlines()
        last = words[-1].replace(str(work), "…") if words else "no output"
        raise ConversionFailed("bundletool could not build an APK: " + last[:MAX_REASON_CHARS])
    return _extract(apks, work, max_apk_bytes)


def _extract(apks: Path, work: Path, max_apk_bytes: int) -> Path:
    target = work / UNIVERSAL_ENTRY
    try:
        with zipfile.ZipFile(apks) as archive:
            size = archive.getinfo(UNIVERSAL_ENTRY).file_size
            if size > max_apk_bytes:
                raise TooLarge(size)
            with archive.open(UNIVERSAL_ENTRY) as source, target.open("wb") as out:
                while chunk := source.read(1024**2):
                    out.write(chunk)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ConversionFailed("bundletool made no universal APK") from exc
    finally:
        apks.unlink(missing_ok=True)
    return target
