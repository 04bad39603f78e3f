"""Host-side step of the hearth-kafka build: the broker's jars into the build context.

The jars are those the local stack runs (devstack/pom.xml), fetched by the host's
Maven, which trusts this machine's egress and keeps them cached in ~/.m2; -C refuses
a jar whose checksum does not match Maven Central's.

    python3 containers/kafka/prepare.py <context>
"""

import shutil
import subprocess
import sys
from pathlib import Path

POM = Path(__file__).resolve().parents[2] / "devstack" / "pom.xml"


def main(context: Path) -> None:
    libs = context / "libs"
    shutil.rmtree(libs, ignore_errors=True)  # a version bump leaves no stale jar behind
    subprocess.run(  # noqa: S603 - a fixed command
        [
            *("mvn", "-B", "-q", "-C", "-f", str(POM), "dependency:copy-dependencies"),
            *("-DincludeScope=runtime", f"-DoutputDirectory={libs}"),
        ],
        check=True,
    )
    print(f"{len(list(libs.glob('*.jar')))} jars in {libs}", flush=True)  # noqa: T201 - the builder shows it


if __name__ == "__main__":
    main(Path(sys.argv[1]))
