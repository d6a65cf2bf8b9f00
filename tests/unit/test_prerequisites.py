"""The local stack names each missing tool and how to install it, instead of a traceback."""

import subprocess
from pathlib import Path

import pytest

from infra import prerequisites


def fake_which(present: set[str]):
    return lambda name: f"/usr/bin/{name}" if name in present else None


def fake_gcloud_info(monkeypatch: pytest.MonkeyPatch, sdk_root: Path) -> list[list[str]]:
    commands: list[list[str]] = []

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=f"{sdk_root}\n", stderr="")

    monkeypatch.setattr(prerequisites.subprocess, "run", run)
    return commands


def sdk_with(tmp_path: Path, *components: str) -> Path:
    for component in components:
        (tmp_path / "platform" / component).mkdir(parents=True)
    return tmp_path


def test_nothing_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(prerequisites.shutil, "which", fake_which(set()))
    commands = fake_gcloud_info(monkeypatch, tmp_path)
    java, gcloud = prerequisites.missing_prerequisites()
    assert "Java" in java and "apt-get install openjdk" in java
    assert "gcloud" in gcloud and "https://cloud.google.com/sdk/docs/install" in gcloud
    assert commands == []  # no gcloud to ask about its components


def test_java_missing_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(prerequisites.shutil, "which", fake_which({"gcloud"}))
    fake_gcloud_info(monkeypatch, sdk_with(tmp_path, *prerequisites.EMULATOR_COMPONENTS))
    (java,) = prerequisites.missing_prerequisites()
    assert java.startswith("Java")


def test_missing_pubsub_emulator_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(prerequisites.shutil, "which", fake_which({"java", "gcloud"}))
    commands = fake_gcloud_info(monkeypatch, sdk_with(tmp_path, "cloud-firestore-emulator"))
    (missing,) = prerequisites.missing_prerequisites()
    assert "pubsub-emulator" in missing
    assert "gcloud components install pubsub-emulator" in missing
    assert "google-cloud-cli-pubsub-emulator" in missing
    assert commands == [["/usr/bin/gcloud", "info", "--format=value(installation.sdk_root)"]]


def test_an_empty_sdk_lacks_both_emulators(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(prerequisites.shutil, "which", fake_which({"java", "gcloud"}))
    fake_gcloud_info(monkeypatch, tmp_path)
    missing = prerequisites.missing_prerequisites()
    assert len(missing) == 2
    assert any("cloud-firestore-emulator" in line for line in missing)
    assert any("pubsub-emulator" in line for line in missing)


def test_everything_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(prerequisites.shutil, "which", fake_which({"java", "gcloud"}))
    fake_gcloud_info(monkeypatch, sdk_with(tmp_path, *prerequisites.EMULATOR_COMPONENTS))
    assert prerequisites.missing_prerequisites() == []
    assert prerequisites.require_prerequisites() is None


def test_require_exits_with_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prerequisites.shutil, "which", fake_which(set()))
    with pytest.raises(SystemExit) as raised:
        prerequisites.require_prerequisites()
    message = raised.value.code
    assert isinstance(message, str)  # sys.exit(str) prints it and exits 1, with no traceback
    assert message.startswith("apkdrop's local stack needs tools that are not installed:")
    assert "  - Java" in message and "  - the gcloud CLI" in message
    assert "Traceback" not in message
