"""Database layout: one database, and per bounded context one schema owned by one
login role that can use nothing else.

Run by an administrator (the local stack, or a Helm pre-install Job in Kubernetes)
before any migration; every statement is idempotent. With Citus the same
statements run on the coordinator, which propagates roles and schemas to workers.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class SchemaOwner:
    schema: str
    role: str
    password: str | None = None  # None: keep the role's password as it is


def provision(*, admin_conninfo: str, database: str, owners: Iterable[SchemaOwner]) -> None:
    owners = list(owners)
    _create_database(admin_conninfo, database)
    with psycopg.connect(admin_conninfo, dbname=database, autocommit=True) as conn:
        # Nobody but the administrator may create or read anything outside their schema.
        conn.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
        conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for owner in owners:
            _create_role(conn, owner)
            conn.execute(
                sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                    sql.Identifier(database), sql.Identifier(owner.role)
                )
            )
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    sql.Identifier(owner.schema), sql.Identifier(owner.role)
                )
            )
            conn.execute(
                sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                    sql.Identifier(owner.role),
                    sql.Identifier(database),
                    sql.Identifier(owner.schema),
                )
            )


def _create_database(admin_conninfo: str, database: str) -> None:
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _create_role(conn: psycopg.Connection, owner: SchemaOwner) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner.role]).fetchone()
    statement = "ALTER ROLE {} LOGIN" if exists else "CREATE ROLE {} LOGIN"
    conn.execute(sql.SQL(statement).format(sql.Identifier(owner.role)))
    if owner.password is not None:
        # The SCRAM verifier, computed here (libpq): the password itself never reaches
        # the server, so no statement log or error message can show it.
        verifier = conn.pgconn.encrypt_password(
            owner.password.encode(), owner.role.encode(), b"scram-sha-256"
        )
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(owner.role), sql.Literal(verifier.decode())
            )
        )
