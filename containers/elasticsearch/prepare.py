"""Host-side step of the hearth-elasticsearch build: the distribution, unpacked into
the build context (elasticsearch/).

It is the integ-test zip the local stack runs (devstack/layout.py ES_ARTIFACT),
fetched by the host's Maven (cached in ~/.m2; -C refuses a file whose checksum does
not match), and unpacked keeping each file's mode (bin/ stays executable).

    python3 containers/elasticsearch/prepare.py <context>
"""

import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSION = "8.19.21"
ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{VERSION}:zip"


def main(context: Path) -> None:
    target = context / "elasticsearch"
    unpacked = context / f".unpacked-{VERSION}"  # marks a complete unpack of this version
    if unpacked.exists() and (target / "bin" / "elasticsearch").exists():
        return
    downloads = context / "downloads"
    subprocess.run(  # noqa: S603 - a fixed command
        [
            *("mvn", "-B", "-q", "-C", "-f", str(ROOT / "devstack" / "pom.xml")),
            *("dependency:copy", f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={downloads}"),
        ],
        check=True,
    )
    shutil.rmtree(target, ignore_errors=True)
    staging = context / "unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(downloads / f"elasticsearch-{VERSION}.zip") as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, staging))
            mode = info.external_attr >> 16
            if mode:
                # Readable by all (the zip's config files are 0660, and the image's
                # process, uid 10001, copies them at start); set here, not by a
                # RUN chmod that would copy the whole tree into another layer.
                readable = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
                if path.is_dir():
                    readable |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
                path.chmod(stat.S_IMODE(mode) | readable)
    (staging / f"elasticsearch-{VERSION}").rename(target)
    unpacked.touch()
    shutil.rmtree(staging)
    shutil.rmtree(downloads)
    print(f"Elasticsearch {VERSION} unpacked into {target}", flush=True)  # noqa: T201 - the builder shows it


if __name__ == "__main__":
    main(Path(sys.argv[1]))
