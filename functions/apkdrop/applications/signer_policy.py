"""A version's insights against the app's previous version, and the app's signer policy.

An upload may tighten the policy (signerPolicy=reject) but never loosen it: only an owner's
PATCH does, so an upload-scoped key cannot switch the guard off.
"""

from apkdrop.apk.insights import ComparedToVersion, Insights, StoredApk, compare_apks
from apkdrop.applications.models import NewVersion, SignerPolicy, Version
from apkdrop.errors import Conflict
from apkdrop.links import application_path


def version_insights(previous: Version | None, new: NewVersion) -> Insights | None:
    """`new` against the app's newest remaining version; None when there is none."""
    if previous is None:
        return None
    return compare_apks(
        ComparedToVersion(version=previous.version, channel=previous.channel),
        StoredApk(previous.apkInfo, previous.size, previous.componentSizes),
        StoredApk(new.apkInfo, new.size, new.componentSizes),
    )


def effective_policy(stored: SignerPolicy, asked: SignerPolicy | None) -> SignerPolicy:
    """The stricter of the app's policy and the upload's."""
    return SignerPolicy.REJECT if SignerPolicy.REJECT in (stored, asked) else SignerPolicy.WARN


def enforce(policy: SignerPolicy, insights: Insights | None, app_id: str) -> None:
    """Refuses (409) an upload whose signer changed, under `reject`."""
    if policy is not SignerPolicy.REJECT or insights is None or not insights.signer.changed:
        return
    signer = insights.signer
    raise Conflict(
        f"The signer changed since version {insights.since}: "
        f"{signer.before or 'unsigned'} before, {signer.after or 'unsigned'} now. "
        "This app's signerPolicy is reject, so nothing was stored; sign it with the "
        f"previous key, or set signerPolicy to warn (PATCH {application_path(app_id)})"
    )


def ignored_warn(stored: SignerPolicy, asked: SignerPolicy | None, app_id: str) -> list[str]:
    """The warning for an upload that asked to loosen the policy."""
    if asked is SignerPolicy.WARN and stored is SignerPolicy.REJECT:
        return [
            "signerPolicy=warn was ignored: this app's policy is reject, which only "
            f"PATCH {application_path(app_id)} changes"
        ]
    return []
