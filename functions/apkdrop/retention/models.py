"""A retention policy as an owner sets it, stored on its app and shown by the API."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from apkdrop.channels import CHANNEL_PATTERN

MAX_KEEP_LATEST = 1000
MAX_AGE_DAYS = 3650
# Who deleted what a rule deleted: the tombstones' deletedBy and the audit trail's actor.
RETENTION_ACTOR = "retention"
# The app document's flag that its policy may delete versions: what the sweep queries.
RETENTION_DELETES = "retentionDeletes"


class RetentionRule(BaseModel):
    """What one channel keeps; a rule with neither field keeps everything (overriding the
    default rule for that channel)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keepLatest: int | None = Field(default=None, ge=1, le=MAX_KEEP_LATEST, strict=True)
    maxAgeDays: int | None = Field(default=None, ge=1, le=MAX_AGE_DAYS, strict=True)

    @property
    def deletes(self) -> bool:
        return self.keepLatest is not None or self.maxAgeDays is not None


class RetentionPolicy(BaseModel):
    """`default` applies to every channel without a rule of its own; none keeps everything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: RetentionRule | None = None
    channels: dict[str, RetentionRule] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, channels: dict[str, RetentionRule]) -> dict[str, RetentionRule]:
        for name in channels:
            if not CHANNEL_PATTERN.fullmatch(name):
                raise ValueError(f"{name!r} is not a channel: 1-64 characters of [a-z0-9._-]")
        # By name: Firestore hands a map back in an order of its own, so GET would shuffle them.
        return dict(sorted(channels.items()))

    def rule_for(self, channel: str) -> RetentionRule | None:
        return self.channels.get(channel, self.default)

    @property
    def deletes(self) -> bool:
        """Whether any rule may ever delete a version (the sweep visits only such apps)."""
        rules = [self.default, *self.channels.values()]
        return any(rule is not None and rule.deletes for rule in rules)


class RetentionAnswer(BaseModel):
    """The `{"data": policy}` of GET and PUT /v1/application/{id}/retention."""

    data: RetentionPolicy
