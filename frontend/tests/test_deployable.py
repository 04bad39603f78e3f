"""The checks every deployable passes, less those about an API: the front end serves pages."""

from kernel.testing.deployable_contract import (  # noqa: F401
    test_every_table_lives_in_the_deployables_schema,
    test_installs_only_its_own_context_and_the_platform,
    test_migrations_match_the_models,
    test_no_foreign_key_leaves_the_context,
)


def test_ready_without_kafka_which_the_front_end_does_not_use(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}
