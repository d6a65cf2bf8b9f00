"""`import main` loads no feature's client library: each function imports its own on its first
call, so no cold start pays for another function's SDK (issue: every function loaded all 1,306
modules, about 540 ms)."""

import json
import os
import subprocess
import sys

from tests.paths import MAIN

# Libraries only some functions use; none may load before a function is first called.
NOT_AT_IMPORT = (
    "google.cloud.tasks_v2",
    "google.cloud.firestore",
    "google.cloud.storage",
    "sendgrid",
    "pyaxmlparser",
    "segno",
    "httpx",
)
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import main
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_import(code: str = PROBE) -> set[str]:
    """The modules a fresh interpreter holds after `import main`, with the unit-test settings."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(MAIN.parent)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_import_main_loads_no_feature_library():
    loaded = modules_after_import()
    assert "main" in loaded and "apkdrop.settings" in loaded
    early = {name for name in loaded for library in NOT_AT_IMPORT if name == library}
    assert early == set()


def test_the_probe_sees_a_library_loaded_at_import():
    """The check above can fail: a module that imports one of them is seen."""
    loaded = modules_after_import(PROBE.replace("import main", "import main, segno"))
    assert "segno" in loaded


# Every feature module but the wiring and the adapters themselves.
FEATURES = (
    "apkdrop.applications.api",
    "apkdrop.builds.api",
    "apkdrop.builds.events",
    "apkdrop.builds.expiry",
    "apkdrop.install_pages.views",
    "apkdrop.notifications.worker",
)


def test_features_import_no_adapter():
    """Services raise the domain's errors: none loads an adapter, nor google.api_core with it."""
    loaded = modules_after_import(PROBE.replace("import main", f"import {', '.join(FEATURES)}"))
    assert set(FEATURES) <= loaded
    leaked = {name for name in loaded if name.startswith(("apkdrop.adapters", "google.api_core"))}
    assert leaked == set()
