"""Build every container image of Hearth with podman: `make images`.

    python3 devstack/images.py                   bases, infrastructure, every deployable
    python3 devstack/images.py accounts traefik  only these (deployables or containers/<name>)
    python3 devstack/images.py --apps-only       the deployables (and the base they need)
    python3 devstack/images.py --infra-only      containers/*/ only
    python3 devstack/images.py --public-bases    on the public bases (where a registry is
                                                 reachable, e.g. CI), not debootstrap's

Three kinds, all tagged under localhost/hearth/ (never a public image's name):
- bases (containers/base/*.env): a Debian root filesystem made by debootstrap and
  imported into podman. Skipped while podman's storage holds one built from the same
  definition, so a clone on a machine that built them before is warm.
- infrastructure (every containers/<name>/Containerfile): name, tag and build args
  come from containers/<name>/image.env (containers/README.md).
- deployables: the root Containerfile once per entry of config.services.SERVICES,
  tagged hearth-<name>:<git commit>.

Installs podman, runc and debootstrap when they are missing, and writes
/etc/containers/containers.conf when there is none (runc and cgroupfs: crun fails on
this machine's cgroups). Runs on the system python, standard library only.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script, so make the `devstack` and `config` packages importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.environment import parse_env_file
from config.services import SERVICES
from devstack.layout import ROOT, VAR
from devstack.shell import fail, find_program, install_debian_packages, run, say, step

REGISTRY = "localhost/hearth"
CONTAINERS = ROOT / "containers"
BASES_DIR = CONTAINERS / "base"
APP_CONTAINERFILE = ROOT / "Containerfile"
IMAGES_VAR = VAR / "images"
# Whatever a build behind this machine's TLS-inspecting egress needs to trust: handed
# to builds as the secret `ca-bundle` (mounted per RUN step, never stored in a layer).
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# Debian package -> a program it installs.
HOST_PACKAGES = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap"}
CONTAINERS_CONF = Path("/etc/containers/containers.conf")
CONTAINERS_CONF_TEXT = """\
# Written by Hearth's devstack/images.py. crun fails on this machine's cgroup setup
# and a container may not raise its rlimits, so: runc, cgroupfs, explicit ulimits.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
"""
# Where a base's definition is recorded on the imported image, to notice a change.
DEFINITION_LABEL = "org.hearth.base.definition"


@dataclass(frozen=True)
class Base:
    name: str
    image: str
    suite: str
    packages: tuple[str, ...]
    definition: str  # digest of its .env file

    @classmethod
    def load(cls, path: Path) -> "Base":
        values = parse_env_file(path)
        return cls(
            name=path.stem,
            image=values["IMAGE"],
            suite=values["SUITE"],
            packages=tuple(p for p in values.get("PACKAGES", "").split(",") if p),
            definition=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
        )


@dataclass
class Image:
    """One image to build: its Containerfile, context, name and build args."""

    kind: str  # "app" or "infra"
    key: str  # what the command line calls it
    reference: str
    containerfile: Path
    context: Path
    base: str | None = None  # name of a base in containers/base/
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    prepare: Path | None = None  # containers/<name>/prepare.py
    problem: str = ""  # why it cannot be built: reported only when it is asked for
    # Its tag names one content (a clean commit): present under that tag, it is done.
    immutable: bool = False


def bases() -> dict[str, Base]:
    return {path.stem: Base.load(path) for path in sorted(BASES_DIR.glob("*.env"))}


# --- the host ------------------------------------------------------------------


def ensure_host() -> None:
    install_debian_packages(
        [pkg for pkg, program in HOST_PACKAGES.items() if not find_program(program)]
    )
    if not CONTAINERS_CONF.exists():
        if os.geteuid() != 0:
            raise fail(f"{CONTAINERS_CONF} is missing; as root, write:\n{CONTAINERS_CONF_TEXT}")
        step(f"writing {CONTAINERS_CONF}")
        CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
        CONTAINERS_CONF.write_text(CONTAINERS_CONF_TEXT)
    elif CONTAINERS_CONF.read_text() != CONTAINERS_CONF_TEXT:
        # Someone's own configuration: left alone, but a podman that cannot run says why.
        runtime = podman_output("info", "--format", "{{.Host.OCIRuntime.Name}}")
        if runtime != "runc":
            say(f"warning: {CONTAINERS_CONF} is not Hearth's and podman uses {runtime}, not runc")


def podman_output(*arguments: str) -> str:
    completed = subprocess.run(["podman", *arguments], check=False, capture_output=True, text=True)
    return completed.stdout.strip() if completed.returncode == 0 else ""


def image_present(reference: str) -> bool:
    return subprocess.run(["podman", "image", "exists", reference], check=False).returncode == 0


# --- bases -----------------------------------------------------------------------


def ensure_base(base: Base) -> None:
    label = f'{{{{ index .Labels "{DEFINITION_LABEL}" }}}}'
    if podman_output("image", "inspect", "--format", label, base.image) == base.definition:
        say(f"{base.image}: present")
        return
    step(f"building base {base.image}: debootstrap {base.suite} (about a minute)")
    IMAGES_VAR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=IMAGES_VAR, prefix=f"rootfs-{base.name}-") as rootfs:
        include = [f"--include={','.join(base.packages)}"] if base.packages else []
        command = ["nice", "-n", "10", "debootstrap", "--variant=minbase", *include]
        run([*command, base.suite, rootfs, DEBIAN_MIRROR], quiet=True)
        # What only the installation needed: package downloads, lists, manuals.
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc"):
            for path in (Path(rootfs) / leftover).glob("*"):
                if path.is_file() or path.is_symlink():
                    path.unlink()
                elif path.is_dir() and path.name != "partial":
                    shutil.rmtree(path)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        changes = [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            f"LABEL {DEFINITION_LABEL}={base.definition}",
            "CMD /bin/bash",
        ]
        flags = [argument for change in changes for argument in ("--change", change)]
        run(["podman", "import", *flags, "-", base.image], stdin=tar.stdout, quiet=True)
        if tar.wait() != 0:
            raise fail(f"tar of {rootfs} failed")


# --- what to build -----------------------------------------------------------------


def git(*arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=True
    ).stdout.strip()


# What a deployable's image is built from: a change elsewhere does not make it dirty.
APP_SOURCES = ("Containerfile", ".containerignore", "manage.py", "config", "platform", "apps")
APP_SOURCES += ("frontend", "requirements", "containers/base")


def app_tag() -> str:
    """The short commit; `-dirty` when the image's sources differ from it. Never `latest`."""
    dirty = git("status", "--porcelain", "--", *APP_SOURCES)
    return git("rev-parse", "--short=12", "HEAD") + ("-dirty" if dirty else "")


def app_image(name: str, tag: str | None = None) -> str:
    return f"{REGISTRY}/hearth-{name}:{tag or app_tag()}"


def app_images(tag: str | None = None) -> list[Image]:
    tag = tag or app_tag()
    labels = {
        "org.opencontainers.image.version": tag,
        "org.opencontainers.image.revision": git("rev-parse", "HEAD"),
        # The commit's time, not the build's: an unchanged tree rebuilds from cache alone.
        "org.opencontainers.image.created": git("log", "-1", "--format=%cI"),
    }
    return [
        Image(
            kind="app",
            key=name,
            reference=app_image(name, tag),
            immutable=not tag.endswith("-dirty"),
            containerfile=APP_CONTAINERFILE,
            context=ROOT,
            base="python",
            build_args={"SERVICE": name, "SERVICE_PACKAGE_DIR": service.app.replace(".", "/")},
            labels=labels,
        )
        for name, service in SERVICES.items()
    ]


def infra_images() -> list[Image]:
    images = []
    for containerfile in sorted(CONTAINERS.glob("*/Containerfile")):
        folder = containerfile.parent
        values = parse_env_file(folder / "image.env")
        problem = ""
        if "NAME" not in values or "TAG" not in values:
            problem = f"{folder / 'image.env'} must set NAME and TAG (containers/README.md)"
        prepare = folder / "prepare.py"
        images.append(
            Image(
                kind="infra",
                key=folder.name,
                reference=f"{REGISTRY}/{values.get('NAME')}:{values.get('TAG')}",
                containerfile=containerfile,
                context=folder,
                base=values.get("BASE") or None,
                build_args={
                    key.removeprefix("ARG_"): value
                    for key, value in values.items()
                    if key.startswith("ARG_")
                },
                prepare=prepare if prepare.exists() else None,
                problem=problem,
            )
        )
    return images


# --- building ----------------------------------------------------------------------


def build(image: Image, known_bases: dict[str, Base]) -> None:
    if image.immutable and image_present(image.reference):
        say(f"{image.reference}: present")
        return
    step(f"building {image.reference}")
    arguments = dict(image.build_args)
    labels = dict(image.labels)
    if image.base and known_bases:
        base_image = known_bases[image.base].image
        arguments["BASE_IMAGE"] = base_image
        labels["org.opencontainers.image.base.name"] = base_image
    started = time.monotonic()
    context = image.context
    if image.prepare:
        # Host-side steps (a Go build, a file from the repository) add to a copy of
        # the folder under var/images/context/, which becomes the build's context.
        context = IMAGES_VAR / "context" / image.key
        shutil.copytree(image.context, context, dirs_exist_ok=True)
        run([sys.executable, image.prepare, context])
    # Local bases only: nothing may be pulled. Public bases come from their registry.
    pull = "--pull=never" if known_bases else "--pull=missing"
    command = ["nice", "-n", "10", "podman", "build", "--layers", pull]
    command += ["-f", image.containerfile, "-t", image.reference]
    if CA_BUNDLE.exists():
        command += ["--secret", f"id=ca-bundle,src={CA_BUNDLE}"]
    for key, value in arguments.items():
        command += ["--build-arg", f"{key}={value}"]
    for key, value in labels.items():
        command += ["--label", f"{key}={value}"]
    log = IMAGES_VAR / "logs" / f"{image.key}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        completed = subprocess.run(
            [str(part) for part in command] + [str(context)],
            check=False,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    if completed.returncode != 0:
        print(log.read_text()[-6000:], flush=True)
        raise fail(f"building {image.reference} failed (whole log: {log.relative_to(ROOT)})")
    say(f"built in {time.monotonic() - started:.0f} s (log: {log.relative_to(ROOT)})")


def size_table(images: list[Image]) -> str:
    rows = []
    for image in images:
        found = podman_output("image", "inspect", "--format", "{{.Size}}", image.reference)
        size = f"{int(found) / 1e6:,.0f} MB" if found.isdigit() else "missing"
        rows.append((image.reference, size))
    width = max(len(reference) for reference, _ in rows)
    lines = [f"{'image'.ljust(width)}  size", f"{'-' * width}  ------"]
    lines += [f"{reference.ljust(width)}  {size:>8}" for reference, size in rows]
    return "\n".join(lines)


def select(all_images: list[Image], options: argparse.Namespace) -> list[Image]:
    if options.apps_only:
        all_images = [image for image in all_images if image.kind == "app"]
    if options.infra_only:
        all_images = [image for image in all_images if image.kind == "infra"]
    if not options.names:
        return all_images
    known = {image.key: image for image in all_images}
    unknown = [name for name in options.names if name not in known]
    if unknown:
        raise fail(f"no image called {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in options.names]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="deployables or containers/<name> folders")
    parser.add_argument("--apps-only", action="store_true")
    parser.add_argument("--infra-only", action="store_true")
    parser.add_argument("--tag", help="the deployables' tag instead of the git commit's")
    parser.add_argument("--jobs", type=int, default=3, help="deployables built at once")
    parser.add_argument(
        "--public-bases",
        action="store_true",
        help="build on each Containerfile's default public base (where a registry is reachable)",
    )
    options = parser.parse_args(argv)
    if options.tag == "latest":
        raise fail("never `latest`: a tag names one build (containers/README.md)")
    started = time.monotonic()
    ensure_host()
    known_bases = {} if options.public_bases else bases()
    chosen = select(app_images(options.tag) + infra_images(), options)
    problems = [image.problem for image in chosen if image.problem]
    if problems:
        raise fail("\n".join(problems))
    step("base images")
    # A full build makes every base, for the infrastructure images still to come too.
    wanted = known_bases if not options.names and not options.apps_only else {}
    needed = {image.base for image in chosen if image.base and known_bases}
    for name in sorted({*wanted, *needed}):
        if name not in known_bases:
            raise fail(f"no base {name!r} in containers/base/ (containers/README.md)")
        ensure_base(known_bases[name])
    apps = [image for image in chosen if image.kind == "app"]
    if apps:
        # The first makes the layers every deployable shares; the others, cached up to
        # their own package, are mostly podman's own overhead, which runs well in parallel.
        build(apps[0], known_bases)
        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            for finished in [pool.submit(build, image, known_bases) for image in apps[1:]]:
                finished.result()
    for image in chosen:
        if image.kind != "app":
            build(image, known_bases)
    step(f"{len(chosen)} image(s) in {time.monotonic() - started:.0f} s")
    print(size_table(chosen), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
