"""Settings of the search deployable: listings' events into Elasticsearch (docs/search.md)."""

from config.settings.base import *
from config.settings.base import deployable_settings, env

globals().update(deployable_settings("search"))
HEARTH_EVENT_CONSUMERS = ["apps.search.consumers.LISTINGS_INDEX", REVOCATION_CONSUMER]

# Queries and writes go through this alias; its indices are <alias>-v<mapping>-<time>,
# inside the search-* names its Elasticsearch user may touch.
SEARCH_INDEX_ALIAS = env("SEARCH_INDEX_ALIAS", "search-listings")
SEARCH_INDEX_SHARDS = int(env("SEARCH_INDEX_SHARDS", "1"))
SEARCH_INDEX_REPLICAS = int(env("SEARCH_INDEX_REPLICAS", "0"))  # production: 1 per extra zone
# Deep pages are search_after's: from + size stays under this.
SEARCH_MAX_RESULT_WINDOW = int(env("SEARCH_MAX_RESULT_WINDOW", "1000"))
# Bounded work per query, whatever the index holds (docs/search.md "What a query
# costs"): matches are counted exactly up to this many, and beyond it the count and
# the facets are estimated from a random sample of about this many listings.
SEARCH_EXACT_COUNT_LIMIT = int(env("SEARCH_EXACT_COUNT_LIMIT", "10000"))
SEARCH_FACET_SAMPLE_SIZE = int(env("SEARCH_FACET_SAMPLE_SIZE", "20000"))
SEARCH_SEGMENTS_PER_TIER = int(env("SEARCH_SEGMENTS_PER_TIER", "5"))
# A query that takes longer fails, and the front end falls back to listings' search.
SEARCH_TIMEOUT_SECONDS = float(env("SEARCH_TIMEOUT_SECONDS", "2"))
SEARCH_WRITE_TIMEOUT_SECONDS = float(env("SEARCH_WRITE_TIMEOUT_SECONDS", "30"))
SEARCH_REINDEX_READ_TIMEOUT_SECONDS = float(env("SEARCH_REINDEX_READ_TIMEOUT_SECONDS", "600"))
# The client logs every request at INFO: a line per indexed event. Failures stay.
LOGGING["loggers"]["elastic_transport"] = {"level": "WARNING"}
