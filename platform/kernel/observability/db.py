"""A span per SQL statement Django runs, with the psycopg instrumentation's names
and attributes.

The psycopg instrumentation installs a traced cursor factory when a connection is
opened, and Django's psycopg backend replaces the factory with its own right
after; so the statements are traced through Django's own hook instead (an
execute wrapper on every connection it opens). The statement is recorded with its
placeholders, never its parameters. Only inside a span: a background loop's
polling (the relay's wake-ups, a consumer's idle checks) starts no trace.
"""

from django.db.backends.signals import connection_created
from opentelemetry import trace
from opentelemetry.trace import SpanKind

_tracer = trace.get_tracer("kernel.observability.db")


def _traced(execute, sql, params, many, context):
    if not trace.get_current_span().get_span_context().is_valid:
        return execute(sql, params, many, context)
    operation = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "SQL"
    connection = context["connection"]
    settings = connection.settings_dict
    with _tracer.start_as_current_span(
        f"{operation} {settings['NAME']}",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": "postgresql",
            "db.namespace": settings["NAME"],
            "db.query.text": sql[:2000],
            "server.address": settings.get("HOST") or "",
            "db.user": settings.get("USER") or "",
        },
    ):
        return execute(sql, params, many, context)


def _on_connection(sender, connection, **kwargs) -> None:
    if _traced not in connection.execute_wrappers:
        connection.execute_wrappers.append(_traced)


def trace_django_queries() -> None:
    connection_created.connect(_on_connection, dispatch_uid="kernel.observability.db")
