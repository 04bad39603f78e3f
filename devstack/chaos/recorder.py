"""Everything the load saw: each request (when due, how long, what answer) and
each write the platform acknowledged (2xx), with the id it returned."""

import threading
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class RequestRecord:
    kind: str
    due: float  # seconds since the load started
    latency: float
    status: int | None
    ok: bool
    attempts: int
    error: str | None = None


@dataclass
class Write:
    """An acknowledged write; `expect` is what reading it back must show."""

    kind: str  # account, listing, application
    id: str
    at: float
    expect: dict = field(default_factory=dict)


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[RequestRecord] = []
        self.writes: dict[tuple[str, str], Write] = {}

    def request(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def write(self, kind: str, id_: str, at: float, **expect: object) -> Write:
        """Record (or update: a publish or an approval changes what a listing or an
        application must read back as) an acknowledged write."""
        with self._lock:
            write = self.writes.get((kind, id_))
            if write is None:
                write = self.writes[(kind, id_)] = Write(kind, id_, at)
            write.expect.update(expect)
            return write

    def to_json(self) -> dict:
        with self._lock:
            return {
                "requests": [asdict(r) for r in self.requests],
                "writes": [asdict(w) for w in self.writes.values()],
            }
