"""Search's estimated counts (docs/search.md: past some thousands of matches the
count and the facets come from a sample) read as estimates on the home page; exact
ones read as they are. The template alone: no call leaves the process."""

from django.template.loader import render_to_string
from django.test import RequestFactory

from frontend.forms import SearchForm
from frontend.pages import Pagination
from frontend.views.search import facet_links

FACETS = {
    "city": [{"value": "Lisbon", "count": 62000}],
    "bedrooms": [],
    "pets_allowed": [],
    "price": [{"value": "500-1000", "min": 500.0, "max": 1000.0, "count": 9100}],
}


def home(*, estimated: bool) -> str:
    request = RequestFactory().get("/")
    data = {"count": 64000, "results": []}
    return render_to_string(
        "home.html",
        {
            "form": SearchForm({}),
            "listings": [],
            "facets": facet_links(request, FACETS),
            "estimated": estimated,
            "pagination": Pagination.of(request, data, page=1, page_size=12, max_results=1000),
        },
        request=request,
    )


def test_estimated_counts_say_about():
    page = home(estimated=True)
    assert "About 64,000 homes found" in page
    assert '>Lisbon</a> <span class="facets__count">about 62,000</span>' in page
    assert '<span class="facets__count">about 9,100</span>' in page


def test_exact_counts_are_shown_as_they_are():
    page = home(estimated=False)
    assert ">64,000 homes found" in page
    assert '<span class="facets__count">62,000</span>' in page
    assert "about 9,100" not in page
