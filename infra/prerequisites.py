"""Checks the tools the local stack needs and names what to install when one is missing."""

import shutil
import subprocess
import sys
from pathlib import Path

EMULATOR_COMPONENTS = {
    "cloud-firestore-emulator": "google-cloud-cli-firestore-emulator",
    "pubsub-emulator": "google-cloud-cli-pubsub-emulator",
}


def missing_prerequisites() -> list[str]:
    """One line per missing tool, saying how to install it; empty when all is there."""
    missing = []
    if shutil.which("java") is None:
        missing.append(
            "Java 11 or newer (the emulators run on it): apt-get install openjdk-17-jre-headless"
        )
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        missing.append(
            "the gcloud CLI: https://cloud.google.com/sdk/docs/install "
            "(or apt-get install google-cloud-cli)"
        )
        return missing
    sdk_root = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    for component, debian_package in EMULATOR_COMPONENTS.items():
        if not (Path(sdk_root) / "platform" / component).is_dir():
            missing.append(
                f"the gcloud {component} component: gcloud components install {component} beta "
                f"(or apt-get install {debian_package})"
            )
    return missing


def require_prerequisites() -> None:
    """Exits with one clear message instead of a traceback when something is missing."""
    missing = missing_prerequisites()
    if missing:
        lines = "\n".join(f"  - {item}" for item in missing)
        sys.exit(f"apkdrop's local stack needs tools that are not installed:\n{lines}")


if __name__ == "__main__":
    require_prerequisites()
