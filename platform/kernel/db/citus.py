"""How a deployable's tables spread over a Citus cluster, and the rules that keep
that possible while everything still runs on one PostgreSQL.

Each context declares its plan in `<context>/sharding.py` (PLAN, named in the
settings as HEARTH_CITUS_PLAN). Three kinds of table:

- distributed by a column: rows spread over shards by that column's hash. Citus
  can enforce a unique constraint only if it includes that column, and a foreign
  key only to a reference table or to a table colocated on the same column;
- reference: small, read-mostly, copied to every node;
- local: stays on the coordinator (bookkeeping such as the outbox), with a reason.

`check_plan` proves those rules against the models; `check_schema` proves them
against the database's own constraints, which migrations may have made differ from
the models (a composite primary key the model does not declare, below); the
`citus` command prints the plan and applies it where the extension is present.

A distributed table's primary key must include its distribution column. Where a
model keeps a one-column primary key (Django's admin does not support a
CompositePrimaryKey) while a migration makes the database's key composite, the
placement declares the database's key (`primary_key=("renter_id", "id")`):
`check_plan` reads that instead of the model's, and `check_schema` holds the
database to it, so the plan cannot claim a key the schema does not have.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Distributed:
    model: str  # "app_label.ModelName"
    column: str
    colocate_with: str | None = None  # another Distributed model of this plan
    # The database's primary key columns, where a migration made it other than the
    # model's (module docstring); None: the model's own.
    primary_key: tuple[str, ...] | None = None

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


def primary_key_of(placement: Placement) -> tuple[str, ...]:
    """The primary key the plan says the database has."""
    declared = isinstance(placement, Distributed) and placement.primary_key
    return declared or (apps.get_model(placement.model)._meta.pk.column,)


def _unique_column_sets(placement: Placement) -> Iterable[tuple[str, set[str]]]:
    meta = apps.get_model(placement.model)._meta
    yield "primary key", set(primary_key_of(placement))
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
        problems.extend(_declared_key_problems(placement, model, column_names))
        if placement.colocate_with:
            problems.extend(_colocation_problems(placement, by_model))
        for what, columns in _unique_column_sets(placement):
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


def _declared_key_problems(
    placement: Distributed, model: type[models.Model], column_names: set[str]
) -> list[str]:
    if not placement.primary_key:
        return []
    problems = []
    if missing := sorted(set(placement.primary_key) - column_names):
        problems.append(f"{placement.model}: primary key has no column {missing}")
    if model._meta.pk.column not in placement.primary_key:
        # Then nothing would keep the model's own pk unique, even per shard.
        problems.append(
            f"{placement.model}: primary key {list(placement.primary_key)} lacks "
            f"the model's pk {model._meta.pk.column}"
        )
    return problems


def _colocation_problems(placement: Distributed, by_model: dict[str, Placement]) -> list[str]:
    target = by_model.get(placement.colocate_with)
    if not isinstance(target, Distributed):
        return [f"{placement.model}: colocated with {placement.colocate_with}, not distributed"]
    ours, theirs = _distribution_type(placement), _distribution_type(target)
    # Citus colocates only tables whose distribution columns have the same type (a
    # missing column is the other placement's own problem).
    if ours and theirs and ours != theirs:
        return [
            f"{placement.model}: {placement.column} ({ours}) and {target.model}."
            f"{target.column} ({theirs}) differ in type, so they cannot be colocated"
        ]
    return []


def _distribution_type(placement: Distributed) -> str | None:
    fields = {field.column: field for field in apps.get_model(placement.model)._meta.local_fields}
    field = fields.get(placement.column)
    return field.get_internal_type() if field else None


def check_schema(plan: list[Placement], connection: BaseDatabaseWrapper) -> list[str]:
    """Where the database's constraints differ from what the plan relies on; [] if
    nowhere: each table's primary key is the plan's (primary_key_of), and each unique
    index of a distributed table, hand-written ones included, has its distribution
    column."""
    problems = []
    with connection.cursor() as cursor:
        for placement in plan:
            table = table_of(placement.model)
            constraints = connection.introspection.get_constraints(cursor, table)
            keys = [tuple(c["columns"]) for c in constraints.values() if c["primary_key"]]
            expected = primary_key_of(placement)
            if keys != [expected]:
                actual = ", ".join(map(str, keys)) or "none"
                problems.append(
                    f"{placement.model}: the database's primary key of {table} is {actual}, "
                    f"the plan's {expected}"
                )
            if not isinstance(placement, Distributed):
                continue
            for name, constraint in sorted(constraints.items()):
                if (
                    constraint["unique"]
                    and not constraint["primary_key"]
                    and placement.column not in constraint["columns"]
                ):
                    problems.append(
                        f"{placement.model}: unique {name} {constraint['columns']} of {table} "
                        f"lacks the distribution column {placement.column}"
                    )
    return problems
