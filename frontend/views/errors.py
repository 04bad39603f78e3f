"""The friendly pages for requests the front end refuses before any view runs.

A 404, a 403 and a 500 are Django's own views rendering 404.html, 403.html and
500.html. A refused request (a Host not ours, a NUL in the address, a body over
the limit) comes here: 400.html, or 413.html for a body too large, which Django
reports as a 400. Like 500.html, they render without the request, which may be
what is wrong.
"""

from django.http import HttpResponse
from django.template import loader

from kernel.api.errors import error_status


def bad_request(request, exception=None) -> HttpResponse:
    status = error_status(exception)
    return HttpResponse(loader.get_template(f"{status}.html").render(), status=status)
