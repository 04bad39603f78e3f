"""How a deployable's tables spread over a Citus cluster, and the rules that keep
that possible while everything still runs on one PostgreSQL.

Each context declares its plan in `<context>/sharding.py` (PLAN, named in the
settings as HEARTH_CITUS_PLAN). Three kinds of table:

- distributed by a column: rows spread over shards by that column's hash. Citus
  can enforce a unique constraint only if it includes that column, and a foreign
  key only to a reference table or to a table colocated on the same column;
- reference: small, read-mostly, copied to every node;
- local: stays on the coordinator (bookkeeping such as the outbox), with a reason.

`check_plan` proves those rules against the models; the `citus` command prints
the plan and applies it where the extension is present.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Distributed:
    model: str  # "app_label.ModelName"
    column: str
    colocate_with: str | None = None  # another Distributed model of this plan

    def sql(self) -> str:
        table = table_of(self.model)
        colocate = (
            f", colocate_with => '{table_of(self.colocate_with)}'" if self.colocate_with else ""
        )
        return f"SELECT create_distributed_table('{table}', '{self.column}'{colocate});"


@dataclass(frozen=True)
class Reference:
    model: str

    def sql(self) -> str:
        return f"SELECT create_reference_table('{table_of(self.model)}');"


@dataclass(frozen=True)
class Local:
    model: str
    reason: str

    def sql(self) -> str:
        # In metadata, so it can join and share transactions with distributed tables.
        return f"SELECT citus_add_local_table_to_metadata('{table_of(self.model)}');"


Placement = Distributed | Reference | Local

# The kernel's tables, in every deployable's schema.
KERNEL_PLAN: tuple[Placement, ...] = (
    Local(
        "kernel.OutboxEvent",
        "written in the same transaction as the change it reports and read in id order "
        "by one relay; pruned after 3 days, so it stays small",
    ),
    Local(
        "kernel.InboxEvent",
        "one row per applied event, written in the handler's transaction; its "
        "(group, event) key is what makes a redelivery a no-op",
    ),
)


def table_of(model_label: str) -> str:
    return apps.get_model(model_label)._meta.db_table


def deployable_plan() -> list[Placement]:
    plan = list(KERNEL_PLAN)
    for dotted in settings.HEARTH_CITUS_PLAN:
        plan.extend(import_string(dotted))
    return plan


def _unique_column_sets(model: type[models.Model]) -> Iterable[tuple[str, set[str]]]:
    meta = model._meta
    yield "primary key", {meta.pk.column}
    for field in meta.local_fields:
        if field.unique and not field.primary_key:
            yield f"unique {field.name}", {field.column}
    for fields in meta.unique_together:
        yield f"unique_together {fields}", {meta.get_field(f).column for f in fields}
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            columns = {meta.get_field(f).column for f in constraint.fields}
            yield f"constraint {constraint.name}", columns


def check_plan(plan: list[Placement], model_labels: Iterable[str]) -> list[str]:
    """Problems that would stop Citus from distributing these models; [] if none."""
    problems = []
    by_model = {placement.model: placement for placement in plan}
    for label in model_labels:
        if label not in by_model:
            problems.append(f"{label} has no placement in the plan")
    for placement in plan:
        model = apps.get_model(placement.model)
        if not isinstance(placement, Distributed):
            continue
        column_names = {field.column for field in model._meta.local_fields}
        if placement.column not in column_names:
            problems.append(f"{placement.model}: no column {placement.column}")
            continue
        for what, columns in _unique_column_sets(model):
            if placement.column not in columns:
                problems.append(
                    f"{placement.model}: {what} {sorted(columns)} lacks the "
                    f"distribution column {placement.column}"
                )
        for field in model._meta.local_fields:
            if not field.is_relation:
                continue
            target = by_model.get(field.related_model._meta.label)
            colocated = (
                isinstance(target, Distributed)
                and placement.colocate_with == target.model
                and field.column == placement.column
            )
            if not (isinstance(target, Reference) or colocated):
                problems.append(
                    f"{placement.model}.{field.name}: a foreign key from a distributed "
                    "table must point to a reference table or a colocated table"
                )
    return problems
