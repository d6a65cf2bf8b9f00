"""Where tests find the repository and the shared real-APK fixtures."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "functions" / "main.py"
README = ROOT / "README.md"
REAL_APKS = ROOT.parent / "shared" / "fixtures" / "apks"
SETTINGS_APK = REAL_APKS / "settings_apk-debug.apk"
INSTRUMENTATION_APK = REAL_APKS / "appium-uiautomator2-server-debug-androidTest.apk"


def real_apk(path: Path) -> Path:
    """The fixture, or a skip that names the folder it should be in."""
    if not path.is_file():
        pytest.skip(f"real APK fixtures are not in ../shared/fixtures/apks ({REAL_APKS})")
    return path
