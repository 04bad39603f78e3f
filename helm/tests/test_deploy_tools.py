"""The deploy tools in var/tools/bin are the pinned ones (devstack/tools.py), read from
each binary's own build information, so a changed pin is noticed and rebuilt."""

from devstack import tools


def test_every_tool_is_built_from_its_pinned_version():
    assert tools.stale_tools() == []


def test_a_binary_of_another_module_or_version_is_stale():
    helm = tools.tool_path("helm")
    assert tools.built_version(helm, "helm.sh/helm/v3") == tools.TOOLS["helm"][2]
    assert tools.built_version(helm, "github.com/rhysd/actionlint") is None
    assert tools.built_version(tools.TOOLS_BIN / "no-such-tool", "helm.sh/helm/v3") is None
