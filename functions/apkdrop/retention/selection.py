"""Which versions a retention policy deletes: a pure function of the policy, the app's
remaining versions and the time, so an upload's enforcement and the sweep agree."""

import datetime
from collections.abc import Iterable
from enum import StrEnum

from apkdrop.applications.models import Version
from apkdrop.retention.models import RetentionPolicy


class Reason(StrEnum):
    KEEP_LATEST = "keepLatest"
    MAX_AGE_DAYS = "maxAgeDays"


def doomed_versions(
    policy: RetentionPolicy,
    versions: Iterable[Version],
    now: datetime.datetime,
    spared: frozenset[int] = frozenset(),
    by_age: bool = True,
) -> list[tuple[Version, Reason]]:
    """The versions to delete, oldest first, each with the rule that deletes it (without
    `by_age`, keepLatest alone).

    Per channel, newest first: pinned versions count toward keepLatest but are never deleted;
    the channel's newest is never deleted by age (its magic link keeps opening); `spared`
    version numbers (the upload being enforced) are never deleted.
    """
    by_channel: dict[str, list[Version]] = {}
    for version in versions:
        by_channel.setdefault(version.channel, []).append(version)
    doomed: list[tuple[Version, Reason]] = []
    for channel, members in by_channel.items():
        rule = policy.rule_for(channel)
        if rule is None or not rule.deletes:
            continue
        members.sort(key=lambda version: version.versionNumber, reverse=True)
        oldest_kept = (
            now - datetime.timedelta(days=rule.maxAgeDays)
            if by_age and rule.maxAgeDays is not None
            else None
        )
        for rank, version in enumerate(members):
            if version.pinned or version.versionNumber in spared:
                continue
            if rule.keepLatest is not None and rank >= rule.keepLatest:
                doomed.append((version, Reason.KEEP_LATEST))
            elif oldest_kept is not None and rank > 0 and version.uploadTime < oldest_kept:
                doomed.append((version, Reason.MAX_AGE_DAYS))
    return sorted(doomed, key=lambda found: found[0].versionNumber)
