"""Headless Chromium from Debian's `chromium` package, driven by Playwright (no download)."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, sync_playwright

from tests.paths import ROOT

ARTIFACTS = ROOT / "test-artifacts"
# Chromium's background services try to reach Google at start; this machine has no network.
QUIET_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("Chromium is missing: `make test` installs Debian's chromium package")
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=QUIET_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def colours(png: Path) -> tuple[int, float]:
    """How many distinct colours a screenshot has, and its mean brightness (0-255)."""
    with Image.open(png) as image:
        grey = image.convert("L")
        pixels = list(grey.getdata())
        distinct = len(image.convert("RGB").getcolors(maxcolors=1 << 24) or [])
    return distinct, sum(pixels) / len(pixels)
