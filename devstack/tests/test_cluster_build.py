"""The cluster build's own logic: the Kubernetes wrapper module and when to rebuild.

Offline and fast: the pinned release's go.mod is committed beside the wrapper, and
proved genuine by the hash the wrapper's go.sum holds for it (which `go mod tidy`
checked against the Go checksum database).
"""

import base64
import hashlib
import json
import re

import pytest

from devstack.cluster import build

UPSTREAM_EXCERPT = """\
module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
\tgithub.com/spf13/cobra v1.9.1
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
\tk8s.io/odd => ./staging/src/k8s.io/other
\tgithub.com/foo/bar => github.com/foo/bar v1.2.3
)
"""


def go_sum_hash(go_mod: bytes) -> str:
    """The h1: hash go.sum records for a go.mod (golang.org/x/mod/sumdb/dirhash)."""
    summary = f"{hashlib.sha256(go_mod).hexdigest()}  go.mod\n".encode()
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


def test_the_committed_upstream_go_mod_is_the_pinned_release_s():
    recorded = f"{build.KUBERNETES_MODULE} {build.KUBERNETES_VERSION}/go.mod "
    go_sum = (build.WRAPPER / "go.sum").read_text().splitlines()
    [line] = [line for line in go_sum if line.startswith(recorded)]
    assert line.split()[-1] == go_sum_hash(build.UPSTREAM_GO_MOD.read_bytes())


def test_the_wrapper_replaces_exactly_the_pinned_release_s_staging_modules():
    upstream = build.UPSTREAM_GO_MOD.read_text()
    staging = build.staging_modules(upstream)
    assert len(staging) == upstream.count("=> ./staging/src/")  # none missed
    wrapper = (build.WRAPPER / "go.mod").read_text()
    assert build.wrapper_replacements(wrapper) == dict.fromkeys(staging, "v0.34.4")
    assert f"require {build.KUBERNETES_MODULE} {build.KUBERNETES_VERSION}\n" in wrapper


def test_the_committed_wrapper_is_what_update_wrapper_writes_before_tidy():
    upstream = build.UPSTREAM_GO_MOD.read_text()
    generated = build.wrapper_go_mod(upstream, build.KUBERNETES_VERSION)
    committed = (build.WRAPPER / "go.mod").read_text()
    # Tidy adds the indirect requirements between the header and the replace block.
    header, replaces = generated.split("replace (")
    assert committed.startswith(header.rstrip("\n"))
    assert committed.endswith("replace (" + replaces)


def test_the_wrapper_keeps_the_packages_of_exactly_the_commands_built():
    tools_go = (build.WRAPPER / "tools.go").read_text()
    imported = re.findall(r'_ "k8s.io/kubernetes/cmd/([^"]+)"', tools_go)
    assert sorted(imported) == sorted(build.KUBERNETES_COMMANDS)


def test_staging_modules_are_the_folder_replacements_only():
    assert build.staging_modules(UPSTREAM_EXCERPT) == ["k8s.io/api", "k8s.io/client-go"]


def test_generated_wrapper_pins_staging_modules_to_the_matching_v0_release():
    text = build.wrapper_go_mod(UPSTREAM_EXCERPT, "v1.34.4")
    assert build.wrapper_replacements(text) == {
        "k8s.io/api": "v0.34.4",
        "k8s.io/client-go": "v0.34.4",
    }
    assert "\ngodebug default=go1.24\n" in text
    assert "\ngo 1.24.0\n" in text


def test_staging_version():
    assert build.staging_version("v1.34.4") == "v0.34.4"
    with pytest.raises(ValueError, match=r"v2\.0\.0"):
        build.staging_version("v2.0.0")


def expected_stamp(patch: bytes = b"patch") -> dict[str, str]:
    return build.kubernetes_stamp("v1.34.4", patch, b"wrapper", "-s -w")


def current_binaries(version: str | None = "v1.34.4") -> dict[str, str | None]:
    return dict.fromkeys(build.KUBERNETES_COMMANDS, "v1.34.4") | {"kubelet": version}


def test_no_rebuild_when_binaries_and_stamp_match():
    stamp = json.dumps(expected_stamp())
    assert build.kubernetes_stale(current_binaries(), stamp, expected_stamp()) is None


def test_rebuild_when_a_binary_is_missing_or_of_another_version():
    stamp = json.dumps(expected_stamp())
    missing = build.kubernetes_stale(current_binaries(None), stamp, expected_stamp())
    assert missing == "kubelet: missing -> v1.34.4"
    other = build.kubernetes_stale(current_binaries("v1.34.3"), stamp, expected_stamp())
    assert other == "kubelet: v1.34.3 -> v1.34.4"


def test_rebuild_when_the_patch_changed_or_the_stamp_is_absent_or_broken():
    old_stamp = json.dumps(expected_stamp(patch=b"older patch"))
    reason = build.kubernetes_stale(current_binaries(), old_stamp, expected_stamp())
    assert reason == "changed since the last build: patch"
    for broken in (None, "{not json", "[]"):
        reason = build.kubernetes_stale(current_binaries(), broken, expected_stamp())
        assert reason == "no build stamp"


def test_ldflags_stamp_the_version_in_both_version_packages():
    flags = build.kubernetes_ldflags("v1.34.4", "2026-02-10T12:53:36Z").split()
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        assert f"{package}.gitVersion=v1.34.4" in flags
        assert f"{package}.gitMinor=34" in flags
        assert f"{package}.buildDate=2026-02-10T12:53:36Z" in flags
    assert flags[:2] == ["-s", "-w"]


def test_scratch_containerfile_runs_the_binary():
    assert build.containerfile("pause") == (
        'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n'
    )


def test_installed_packages_are_those_dpkg_marks_installed():
    listed = "containerd ii \nhaproxy rc \nrunc ii \nipset un \n"
    assert build.installed_packages(listed) == {"containerd", "runc"}
