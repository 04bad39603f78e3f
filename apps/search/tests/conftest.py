import uuid

import pytest

from apps.search import index


@pytest.fixture(autouse=True)
def search_index(settings):
    """An alias of this test's own (inside search-*, which search's Elasticsearch user
    may touch), so tests never see the live index or each other's documents."""
    settings.SEARCH_INDEX_ALIAS = f"search-test-{uuid.uuid4().hex[:12]}"
    real = settings.ELASTICSEARCH_URL
    yield settings.SEARCH_INDEX_ALIAS
    settings.ELASTICSEARCH_URL = real  # a test may have pointed it at a dead port
    # By name: wildcard deletes are refused (action.destructive_requires_name).
    made = index.writer().indices.get(index=f"{settings.SEARCH_INDEX_ALIAS}-*")
    index.delete_indices(made.body)
