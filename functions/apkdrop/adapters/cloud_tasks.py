"""Cloud Tasks: HTTP tasks scheduled for later, named so that a retry does not enqueue twice."""

import contextlib
import datetime
import json

import grpc
from google.api_core import exceptions as api_exceptions
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from google.protobuf import timestamp_pb2

from apkdrop.adapters.errors import backend_call
from apkdrop.settings import CoreSettings


def create_client(settings: CoreSettings) -> tasks_v2.CloudTasksClient:
    if settings.cloud_tasks_emulator_host:
        channel = grpc.insecure_channel(settings.cloud_tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


class TaskQueue:
    """One queue whose tasks POST JSON to a function, with an OIDC token in production."""

    def __init__(
        self, client: tasks_v2.CloudTasksClient, queue_path: str, invoker_email: str | None
    ) -> None:
        self._client = client
        self._queue_path = queue_path
        self._invoker_email = invoker_email

    @backend_call("Cloud Tasks")
    def schedule(self, task_id: str, url: str, payload: dict, at: datetime.datetime) -> None:
        """Enqueues a POST of `payload` to `url` at `at`; an existing `task_id` is kept as is."""
        request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload).encode(),
        )
        if self._invoker_email:
            request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self._invoker_email, audience=url
            )
        schedule_time = timestamp_pb2.Timestamp()
        schedule_time.FromDatetime(at)
        task = tasks_v2.Task(
            name=f"{self._queue_path}/tasks/{task_id}",
            http_request=request,
            schedule_time=schedule_time,
        )
        with contextlib.suppress(api_exceptions.AlreadyExists):
            self._client.create_task(parent=self._queue_path, task=task)
