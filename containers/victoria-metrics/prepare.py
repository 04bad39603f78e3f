"""Host-side step of the hearth-victoria-metrics build: the two binaries into the
build context, built by devstack/tools.py from the local stack's pins
(devstack/observability: GO_SERVERS). Static (CGO off), so the image needs no libc.

    python3 containers/victoria-metrics/prepare.py <context>
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devstack import tools  # noqa: E402
from devstack.observability import GO_SERVERS  # noqa: E402


def main(context: Path) -> None:
    # Nothing to do when var/tools/bin holds them at the pinned version.
    tools.install(GO_SERVERS, "Metrics servers built with Go (VictoriaMetrics, vmalert)")
    for name in GO_SERVERS:
        shutil.copy2(tools.tool_path(name), context / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
