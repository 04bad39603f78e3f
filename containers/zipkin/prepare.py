"""Host-side step of the hearth-zipkin build: Zipkin's exec jar into the build context.

The artifact is the local stack's (devstack/observability: ZIPKIN_ARTIFACT), fetched
by the host's Maven, which trusts this machine's egress and caches it in ~/.m2; -C
refuses a jar whose checksum does not match Maven Central's.

    python3 containers/zipkin/prepare.py <context>
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devstack.observability import ZIPKIN_ARTIFACT, ZIPKIN_JAR  # noqa: E402


def main(context: Path) -> None:
    subprocess.run(  # noqa: S603 - a fixed command
        [
            *("mvn", "-B", "-q", "-C", "-f", str(ROOT / "devstack" / "pom.xml")),
            *("dependency:copy", f"-Dartifact={ZIPKIN_ARTIFACT}", f"-DoutputDirectory={context}"),
        ],
        check=True,
    )
    # One name in the image whatever the version: the Containerfile copies it.
    (context / ZIPKIN_JAR.name).replace(context / "zipkin-server.jar")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
