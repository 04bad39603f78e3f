"""The JSON parser every API uses: what the client sends is refused with a 4xx
when it is not JSON the services can take, never passed on to fail as a 500.

DRF's own parser hands `json.load` the body as it comes, so JSON nested a
thousand deep raises RecursionError (a 500), and values PostgreSQL cannot store
(a NUL character, a lone surrogate, an integer no column holds, NaN, 1e999 as
infinity) reach whatever field or query takes them, where an unchecked one fails
as a 500. This one refuses them with a 400 naming the field that holds them, and
a body over DATA_UPLOAD_MAX_MEMORY_SIZE with a 413, which DRF's parsers never
check.
"""

import json
import math

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.renderers import JSONRenderer

MAX_DEPTH = 64  # far deeper than any request of ours; far shallower than the C stack
MAX_INTEGER = 2**63 - 1  # PostgreSQL's bigint, the widest integer column


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class JSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge()
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from error
        try:
            # NaN and Infinity parse (as float), to be refused below with their field.
            data = json.loads(text, parse_constant=float)
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        except ValueError as error:  # not JSON, or an integer over 4,300 digits
            raise ParseError(f"JSON parse error - {error}") from error
        _check_values(data)
        return data


TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def _check_values(data) -> None:
    """Depth, and values PostgreSQL cannot store, checked without recursion. A bad
    value is reported under the top-level field that holds it, as a serializer would."""
    top = data.items() if isinstance(data, dict) else [("detail", data)]
    pending = [(value, 2 if isinstance(data, dict) else 1, field) for field, value in top]
    if isinstance(data, dict):
        pending += [(key, 2, key) for key in data]
    while pending:
        value, depth, field = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(TOO_DEEP)
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1, field) for child in children)
            continue
        problem = _unstorable(value)
        if problem:
            raise ParseError({field: [problem]})


def _unstorable(value) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return "Null characters are not allowed."
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800"
            return "Surrogate characters are not allowed."
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int) and abs(value) > MAX_INTEGER:
        return "This number is too large."
    elif isinstance(value, float) and not math.isfinite(value):
        return "A finite number is required."
    return None
