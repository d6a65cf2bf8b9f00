"""The whole system on this machine: real emulators, one process per function, a gateway.

`python -m infra.dev` (what `make dev` runs) starts it and stops every child on Ctrl-C or
SIGTERM; its watchdog (infra/watchdog.py) stops them when the main process dies any other way.
Tests start it the same way, on free ports, with a state file to find it (infra/stack_state.py).
"""

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from infra.bridge import StorageEventBridge
from infra.dev_github import API_PREFIX, dev_github_pages
from infra.dev_mail import dev_mail_pages
from infra.distribution_keystore import write_dev_distribution_keystore
from infra.emulators import (
    ROOT,
    VENV_BIN,
    answers,
    create_bucket,
    create_notification_topic,
    fake_gcs_command,
    gcloud_emulator_command,
    tasks_emulator_answers,
    tasks_emulator_command,
)
from infra.fake_github import FakeGitHub
from infra.fake_sendgrid import FakeSendGrid
from infra.fake_webhooks import DEV_RECEIVER_PATH, FakeWebhookReceiver
from infra.function_env import SETTING_NAMES, own_settings, without_settings
from infra.gateway import Gateway, GatewayServer
from infra.ports import free_port
from infra.prerequisites import require_prerequisites
from infra.process_groups import stop_groups
from infra.processes import ManagedProcess, stop_signals_held
from infra.routes import load_routes
from infra.scheduled_calls import ScheduledCalls
from infra.signing_key import write_dev_signing_key
from infra.stack_state import StackState
from infra.watchdog import Watchdog

START_TIMEOUT_SECONDS = 90


@dataclass
class StackConfig:
    gateway_port: int = 8080
    project: str = "apkdrop-dev"
    region: str = "us-central1"
    bucket: str = "apkdrop-dev-uploads"
    expiry_queue: str = "upload-expiry"
    email_queue: str = "emails"
    hash_queue: str = "hashes"
    webhook_queue: str = "webhooks"
    conversion_queue: str = "bundle-conversions"
    # False: the stack runs with no distribution keystore (bundles are recorded SKIPPED).
    distribution_keystore: bool = True
    upload_url_ttl_seconds: int = 900
    upload_expiry_grace_seconds: int = 60
    max_event_age_seconds: int = 3600
    # Cloud Scheduler's retention sweep runs hourly by default; locally every minute.
    retention_sweep_interval_seconds: float = 60
    echo_function_logs: bool = True
    function_settings: dict[str, str] = field(default_factory=dict)
    state_dir: Path = ROOT / ".dev"


class Stack:
    """Its gateway port must be free and `state` claimed (infra.dev checks both first)."""

    def __init__(self, config: StackConfig, state: StackState) -> None:
        self.config = config
        self._state = state
        self.routes = load_routes()
        self.ports = {
            name: free_port()
            for name in ("firestore", "pubsub", "storage", "tasks", *self.routes.functions)
        }
        self._children: list[ManagedProcess] = []
        self._watchdog: Watchdog | None = None
        self._bridge: StorageEventBridge | None = None
        self._sweeps: ScheduledCalls | None = None
        # Started first: its port goes into the functions' settings.
        self.sendgrid = FakeSendGrid()
        self.github = FakeGitHub()  # for `apkdrop ... --comment-pr`, at /_dev/github/api
        self._gateway: GatewayServer | None = None
        self.log_dir = config.state_dir / "logs"
        self.gateway_port = config.gateway_port
        self.session_signing_key = secrets.token_urlsafe(32)
        self.webhook_signing_key = secrets.token_urlsafe(32)
        self.webhook_receiver = FakeWebhookReceiver()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        require_prerequisites()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._watchdog = Watchdog(
            self._state.stack_id, self._state.path, self.log_dir / "watchdog.log"
        )
        self._state.update(watchdog=self._watchdog.pid)
        os.environ.update(self._emulator_env())  # for the clients this process uses
        self.sendgrid.start()
        self._start_emulators()
        self._start_functions()
        self._bridge = StorageEventBridge(
            self.storage_subscription,
            self._local_url(self.ports["build-finalized"]),
        )
        self._bridge.start()
        self._sweeps = ScheduledCalls(
            "retention-sweeper",
            self._local_url(self.ports["retention-sweeper"]) + "/",
            self.config.retention_sweep_interval_seconds,
        )
        self._sweeps.start()
        gateway = Gateway(
            self.routes,
            {name: self._local_url(self.ports[name]) for name in self.routes.functions},
            self._health_checks(),
            {**dev_mail_pages(self.sendgrid), **dev_github_pages(self.github, self.url)},
            dev_apps={API_PREFIX: self.github},
            dev_handlers=[self.webhook_receiver],
        )
        self._gateway = GatewayServer(gateway, "127.0.0.1", self.gateway_port)
        self._gateway.start()
        self._wait_for(
            "the gateway's /healthz", lambda: answers(self.url + "/healthz", healthy_only=True)
        )

    def stop(self) -> None:
        """Safe in any state: nothing started, half started, or already stopped."""
        if self._gateway:
            self._gateway.stop()
            self._gateway = None
        if self._bridge:
            self._bridge.stop()
            self._bridge = None
        if self._sweeps:
            self._sweeps.stop()
            self._sweeps = None
        stop_groups([child.pid for child in self._children], self._state.stack_id)
        for child in self._children:
            child.reap()
        self._children.clear()
        if self._watchdog:
            self._watchdog.close()
            self._watchdog = None
        self.sendgrid.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def write_state(self, dev_api_key: str) -> Path:
        """What `make api-key` and the tests need to find this stack, once it is ready."""
        self._state.update(
            ready=True,
            env=self._emulator_env(),
            ports=self.ports,
            functionEnvs={name: self.function_env(name) for name in self.routes.functions},
            logDir=str(self.log_dir),
            devApiKey=dev_api_key,
        )
        return self._state.path

    # -- parts -----------------------------------------------------------------------------

    def _emulator_env(self) -> dict[str, str]:
        return {
            "GOOGLE_CLOUD_PROJECT": self.config.project,
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{self.ports['firestore']}",
            "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{self.ports['pubsub']}",
            "STORAGE_EMULATOR_HOST": self._local_url(self.ports["storage"]),
            "CLOUD_TASKS_EMULATOR_HOST": f"127.0.0.1:{self.ports['tasks']}",
        }

    def function_env(self, function: str) -> dict[str, str]:
        """What `function` is started with: its own settings only, and its entry point as
        FUNCTION_TARGET (as Cloud Functions sets it)."""
        return {
            "PYTHONUNBUFFERED": "1",
            "FUNCTION_TARGET": self.routes.functions[function].entryPoint,
            **own_settings(function, self._setting_values()),
        }

    def _setting_values(self) -> dict[str, str]:
        """Every function's settings (see functions/apkdrop/settings.py), local-only included."""
        config = self.config
        unknown = set(config.function_settings) - SETTING_NAMES
        if unknown:
            raise ValueError(f"no function reads {', '.join(sorted(unknown))}")
        signing_key = write_dev_signing_key(config.state_dir, config.project)
        return {
            **self._emulator_env(),
            "REGION": config.region,
            "UPLOAD_BUCKET": config.bucket,
            "SIGNED_URL_ENDPOINT": self._local_url(self.ports["storage"]),
            "SIGNING_CREDENTIALS_FILE": str(signing_key),
            "UPLOAD_URL_TTL_SECONDS": str(config.upload_url_ttl_seconds),
            "UPLOAD_EXPIRY_QUEUE": config.expiry_queue,
            "UPLOAD_EXPIRY_URL": self._local_url(self.ports["build-upload-expiry"]) + "/",
            "UPLOAD_EXPIRY_GRACE_SECONDS": str(config.upload_expiry_grace_seconds),
            "MAX_EVENT_AGE_SECONDS": str(config.max_event_age_seconds),
            "PUBLIC_BASE_URL": self.url,
            "EMAIL_QUEUE": config.email_queue,
            "EMAIL_WORKER_URL": self._local_url(self.ports["email-worker"]) + "/",
            "RETENTION_SWEEPER_URL": self._local_url(self.ports["retention-sweeper"]) + "/",
            "HASH_QUEUE": config.hash_queue,
            "HASH_WORKER_URL": self._local_url(self.ports["hash-worker"]) + "/",
            "BUNDLE_CONVERSION_QUEUE": config.conversion_queue,
            "BUNDLE_CONVERTER_URL": self._local_url(self.ports["bundle-converter"]) + "/",
            **self._distribution_keystore(),
            "EMAIL_FROM": "apkdrop <notifications@apkdrop.local>",
            "WEBHOOK_QUEUE": config.webhook_queue,
            "WEBHOOK_WORKER_URL": self._local_url(self.ports["webhook-worker"]) + "/",
            "WEBHOOK_SIGNING_KEY": self.webhook_signing_key,
            "WEBHOOK_DEV_RECEIVER_URL": self.url + DEV_RECEIVER_PATH,
            "SENDGRID_API_KEY": "SG.local-dev-key",
            "SENDGRID_HOST": self.sendgrid.url,
            # The tasks emulator cannot mint OIDC tokens; production never sets this.
            "DEV_ALLOW_UNAUTHENTICATED_TASKS": "true",
            "SESSION_SIGNING_KEY": self.session_signing_key,
            "SESSION_COOKIE_SECURE": "false",  # the local stack serves plain http
            **config.function_settings,
        }

    def _distribution_keystore(self) -> dict[str, str]:
        if not self.config.distribution_keystore:
            return {}
        secret = write_dev_distribution_keystore(self.config.state_dir)
        return {"DISTRIBUTION_KEYSTORE": secret}

    def _spawn(
        self, name: str, command: list[str], env: dict[str, str] | None = None, echo: bool = False
    ) -> ManagedProcess:
        with stop_signals_held():  # a child is started and recorded, or not started at all
            child = ManagedProcess(
                name, command, self.log_dir, env or dict(os.environ), self._state.stack_id, echo
            )
            self._children.append(child)
            self._watchdog.watch(child.pid)
            self._state.record_group(name, child.pid)
        return child

    def _start_emulators(self) -> None:
        ports, config = self.ports, self.config
        for emulator in ("firestore", "pubsub"):
            self._spawn(
                emulator, gcloud_emulator_command(emulator, ports[emulator], config.project)
            )
        location = f"projects/{config.project}/locations/{config.region}"
        names = (
            config.expiry_queue,
            config.email_queue,
            config.hash_queue,
            config.webhook_queue,
            config.conversion_queue,
        )
        queues = [f"{location}/queues/{name}" for name in names]
        self._spawn("tasks", tasks_emulator_command(ports["tasks"], queues))
        self._wait_for("the Pub/Sub emulator", lambda: answers(self._local_url(ports["pubsub"])))
        self.storage_subscription = create_notification_topic(config.project)
        self._spawn("storage", fake_gcs_command(ports["storage"], config.project))
        checks = self._health_checks()
        for name in ("firestore", "storage", "tasks"):
            self._wait_for(f"the {name} emulator", checks[name])
        create_bucket(config.project, config.bucket)

    def _start_functions(self) -> None:
        inherited = without_settings(os.environ)  # this process has some (the emulators')
        for name, spec in self.routes.functions.items():
            self._spawn(
                name,
                [
                    str(VENV_BIN / "functions-framework"),
                    "--target",
                    spec.entryPoint,
                    "--source",
                    str(ROOT / "functions" / "main.py"),
                    "--signature-type",
                    spec.signature,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports[name]),
                ],
                env={**inherited, **self.function_env(name)},
                echo=self.config.echo_function_logs,
            )
        for name in self.routes.functions:
            self._wait_for(
                f"function {name}", lambda n=name: answers(self._local_url(self.ports[n]))
            )

    def _health_checks(self) -> dict[str, Callable[[], bool]]:
        """Each part is up when its own process runs and its port answers (a port answered by
        another program, after ours failed to bind it, does not count)."""
        ports = self.ports
        probes: dict[str, Callable[[], bool]] = {
            "firestore": lambda: answers(self._local_url(ports["firestore"])),
            "pubsub": lambda: answers(self._local_url(ports["pubsub"])),
            "storage": lambda: answers(self._local_url(ports["storage"]) + "/storage/v1/b"),
            "tasks": lambda: tasks_emulator_answers(self.config.project, self.config.region),
        }
        for name in self.routes.functions:
            probes[name] = lambda n=name: answers(self._local_url(ports[n]))
        return {
            name: lambda n=name, probe=probe: self._running(n) and probe()
            for name, probe in probes.items()
        }

    def _running(self, name: str) -> bool:
        return any(c.name == name and c.exited() is None for c in self._children)

    def _wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not ready():
            crashed = [child for child in self._children if child.exited() is not None]
            if crashed:
                raise RuntimeError(
                    f"{crashed[0].name} exited while waiting for {what}; see {crashed[0].log_path}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start within {START_TIMEOUT_SECONDS}s")
            time.sleep(0.2)

    @staticmethod
    def _local_url(port: int) -> str:
        return f"http://127.0.0.1:{port}"
