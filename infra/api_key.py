"""`make api-key EMAIL=... [SCOPE=upload|admin]`: a new API key, printed alone as the last line
of stdout.

Against the running dev stack by default; with `--project ID`, against that project's Firestore
(gcloud's application-default credentials), the same code either way. `--revoke KEY` deletes a
key instead (only its hash is stored, so the key itself names it); a key that does not exist
is reported, with a non-zero exit. Both are recorded in the account's audit trail.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from apkdrop.accounts import KeyScope
from apkdrop.adapters.firestore import AccountStore
from apkdrop.adapters.firestore_audit import AuditTrail
from apkdrop.audit.keys import issue_key, revoke_key
from apkdrop.errors import ApkdropError
from apkdrop.timeutil import utc_now

DEFAULT_STATE_FILE = Path(__file__).resolve().parents[1] / ".dev" / "stack.json"


def issue_key_on_emulator(project: str, email: str, scope: KeyScope = KeyScope.ADMIN) -> str:
    """Uses the Firestore emulator named by FIRESTORE_EMULATOR_HOST."""
    client = firestore.Client(project=project, credentials=AnonymousCredentials())
    return issue_key(AccountStore(client), AuditTrail(client), utc_now, email, scope)


def running_stack_env() -> dict[str, str]:
    state_file = Path(os.environ.get("APKDROP_STACK_STATE", DEFAULT_STATE_FILE))
    try:
        state = json.loads(state_file.read_text())
        os.kill(state["pid"], 0)
    except (FileNotFoundError, ProcessLookupError, json.JSONDecodeError, KeyError):
        sys.exit("The dev stack is not running: start it with `make dev` in another terminal.")
    return state["env"]


def database(project: str | None) -> firestore.Client:
    if project is None:
        env = running_stack_env()
        os.environ.update(env)
        return firestore.Client(
            project=env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
        )
    try:
        return firestore.Client(project=project)
    except auth_exceptions.DefaultCredentialsError:
        sys.exit("No Google credentials: run `gcloud auth application-default login` first.")


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue or revoke an apkdrop API key.")
    parser.add_argument("email", nargs="?", help="the account's email (created if new)")
    parser.add_argument("--project", help="a deployed project (default: the dev stack)")
    parser.add_argument(
        "--scope",
        choices=[scope.value for scope in KeyScope],
        default=KeyScope.ADMIN.value,
        help="upload: uploads and reads only, for CI; admin (default): everything",
    )
    parser.add_argument("--revoke", metavar="KEY", help="delete this key instead")
    args = parser.parse_args()
    if bool(args.email) == bool(args.revoke):
        parser.error("give an EMAIL to issue a key, or --revoke KEY")
    client = database(args.project)
    accounts, audit = AccountStore(client), AuditTrail(client)
    if args.revoke:
        if not revoke_key(accounts, audit, utc_now, args.revoke):
            sys.exit("Key not found: nothing was revoked (check the key, and PROJECT).")
        print("Key revoked: requests that carry it now get 401 Invalid API Key.")
        return
    scope = KeyScope(args.scope)
    try:
        key = issue_key(accounts, audit, utc_now, args.email, scope)
    except ApkdropError as exc:
        sys.exit(exc.detail)
    email = args.email.strip().lower()
    print(f"New {scope}-scoped API key for {email} (shown once; only its hash is stored):")
    print(key)


if __name__ == "__main__":
    main()
