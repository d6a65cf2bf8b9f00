"""`make api-key EMAIL=...`: a new API key on the running dev stack; the key is the last line."""

import json
import os
import sys
from pathlib import Path

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from apkdrop.accounts import issue_api_key
from apkdrop.adapters.firestore import AccountStore
from apkdrop.errors import ApkdropError

DEFAULT_STATE_FILE = Path(__file__).resolve().parents[1] / ".dev" / "stack.json"


def issue_key_on_emulator(project: str, email: str) -> str:
    """Uses the Firestore emulator named by FIRESTORE_EMULATOR_HOST."""
    client = firestore.Client(project=project, credentials=AnonymousCredentials())
    return issue_api_key(AccountStore(client), email)


def running_stack_env() -> dict[str, str]:
    state_file = Path(os.environ.get("APKDROP_STACK_STATE", DEFAULT_STATE_FILE))
    try:
        state = json.loads(state_file.read_text())
        os.kill(state["pid"], 0)
    except (FileNotFoundError, ProcessLookupError, json.JSONDecodeError, KeyError):
        sys.exit("The dev stack is not running: start it with `make dev` in another terminal.")
    return state["env"]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m infra.api_key EMAIL")
    env = running_stack_env()
    os.environ.update(env)
    try:
        key = issue_key_on_emulator(env["GOOGLE_CLOUD_PROJECT"], sys.argv[1])
    except ApkdropError as exc:
        sys.exit(exc.detail)
    print(f"New API key for {sys.argv[1].strip().lower()} (shown once; only its hash is stored):")
    print(key)


if __name__ == "__main__":
    main()
