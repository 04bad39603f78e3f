"""What a deployable's Kafka principal may do, derived from its settings, and applying
it as the cluster's administrator.

A deployable writes only the topics it owns (its catalogue's topic and its consumer
groups' dead letters), reads only those and the topics it consumes, and uses only
consumer groups named after it (`hearth.<service>` and `hearth.<service>.*`). A new
consumer in its settings (HEARTH_EVENT_CONSUMERS) brings its permissions with it
at the next `manage.py kafka_acls --apply`. Every ACL is literal except the group
prefix, and the topic prefix of a deployable that owns a whole name space of
throwaway topics (HEARTH_KAFKA_OWNED_PREFIX: the kernel's tests).
"""

from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from django.conf import settings

from kernel.events.registry import consumer_specs, owned_topics

SCRAM_ITERATIONS = 8192

# Its own topics: publish, reconcile by reading back (the relay), and keep them
# configured (kernel.events.topics). Never delete.
OWN_TOPIC = (
    AclOperation.WRITE,
    AclOperation.READ,
    AclOperation.DESCRIBE,
    AclOperation.CREATE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
)
CONSUMED_TOPIC = (AclOperation.READ, AclOperation.DESCRIBE)
# Join, commit, and describe (replay checks a group is idle before moving it).
OWN_GROUP = (AclOperation.READ, AclOperation.DESCRIBE)


@dataclass(frozen=True, order=True)
class Grant:
    resource: str  # "topic" or "group"
    name: str
    pattern: str  # "literal" or "prefixed"
    operation: str

    def binding(self, principal: str) -> AclBinding:
        return AclBinding(
            ResourceType[self.resource.upper()],
            self.name,
            ResourcePatternType[self.pattern.upper()],
            principal,
            "*",
            AclOperation[self.operation.upper()],
            AclPermissionType.ALLOW,
        )

    @classmethod
    def of(cls, binding: AclBinding) -> "Grant":
        return cls(
            binding.restype.name.lower(),
            binding.name,
            binding.resource_pattern_type.name.lower(),
            binding.operation.name.lower(),
        )

    def __str__(self) -> str:
        wildcard = "*" if self.pattern == "prefixed" else ""
        return f"{self.operation} {self.resource} {self.name}{wildcard}"


def principal() -> str:
    return f"User:{settings.KAFKA_USERNAME}"


def required_grants() -> list[Grant]:
    """Everything this deployable's principal needs, nothing more."""

    def grants(resource, names, operations, pattern="literal"):
        return {Grant(resource, n, pattern, op.name.lower()) for n in names for op in operations}

    own = set(owned_topics())
    consumed = {topic for spec in consumer_specs().values() for topic in spec.topics} - own
    service_groups = f"hearth.{settings.HEARTH_SERVICE}"
    needed = (
        grants("topic", own, OWN_TOPIC)
        | grants("topic", consumed, CONSUMED_TOPIC)
        | grants("group", [service_groups], OWN_GROUP)
        # Replays, readers and tests: hearth.<service>.<purpose>.
        | grants("group", [f"{service_groups}."], OWN_GROUP, pattern="prefixed")
    )
    prefix = getattr(settings, "HEARTH_KAFKA_OWNED_PREFIX", None)
    if prefix:
        needed |= grants("topic", [prefix], [AclOperation.ALL], pattern="prefixed")
        needed |= grants("group", [prefix], [AclOperation.ALL], pattern="prefixed")
    return sorted(needed)


def apply(admin: AdminClient, *, password: str | None) -> dict[str, list[Grant]]:
    """Make the principal's ACLs exactly the required ones (adding what is missing,
    removing what is no longer needed) and, given a password, set its SCRAM
    credential. Needs an administrator's connection."""
    if password:
        user = settings.KAFKA_USERNAME
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
        upsertion = UserScramCredentialUpsertion(user, info, password.encode())
        for future in admin.alter_user_scram_credentials([upsertion]).values():
            future.result(30)
    who = principal()
    current = {Grant.of(b) for b in _bindings_of(admin, who)}
    required = set(required_grants())
    added, removed = sorted(required - current), sorted(current - required)
    if added:
        for future in admin.create_acls([g.binding(who) for g in added]).values():
            future.result(30)
    if removed:
        filters = [_exact_filter(g, who) for g in removed]
        for future in admin.delete_acls(filters).values():
            future.result(30)
    return {"added": added, "removed": removed}


def _bindings_of(admin: AdminClient, who: str) -> list[AclBinding]:
    everything = AclBindingFilter(
        ResourceType.ANY,
        None,
        ResourcePatternType.ANY,
        who,
        None,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    try:
        return admin.describe_acls(everything).result(30)
    except KafkaException as error:
        raise RuntimeError(f"cannot list the ACLs of {who}: {error}") from error


def _exact_filter(grant: Grant, who: str) -> AclBindingFilter:
    binding = grant.binding(who)
    return AclBindingFilter(
        binding.restype,
        binding.name,
        binding.resource_pattern_type,
        who,
        "*",
        binding.operation,
        AclPermissionType.ALLOW,
    )
