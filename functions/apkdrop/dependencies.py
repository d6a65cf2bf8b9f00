"""The adapters one function instance shares across requests, built once at cold start."""

from dataclasses import dataclass

from apkdrop.accounts import AccountRepository
from apkdrop.adapters import cloud_storage, cloud_tasks, firestore, signing
from apkdrop.builds.ports import Bucket, BuildRepository, Scheduler
from apkdrop.settings import Settings


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    accounts: AccountRepository
    builds: BuildRepository
    bucket: Bucket
    expiry_queue: Scheduler

    @classmethod
    def from_settings(cls, settings: Settings) -> "Dependencies":
        """Clients connect lazily, so building them costs no network round trip."""
        database = firestore.create_client(settings)
        return cls(
            settings=settings,
            accounts=firestore.AccountStore(database),
            builds=firestore.BuildStore(database),
            bucket=cloud_storage.UploadBucket(
                cloud_storage.create_client(settings),
                settings,
                signing.create_signer(settings),
            ),
            expiry_queue=cloud_tasks.TaskQueue(
                cloud_tasks.create_client(settings),
                settings.upload_expiry_queue_path,
                settings.tasks_invoker_service_account,
            ),
        )
