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


def test_a_changed_pin_makes_its_tool_stale(monkeypatch):
    package, module, _ = tools.TOOLS["actionlint"]
    monkeypatch.setitem(tools.TOOLS, "actionlint", (package, module, "v1.7.11"))
    assert tools.stale_tools() == ["actionlint"]


def test_the_go_that_builds_them_is_new_enough():
    assert tools.go_release(tools.go_binary()) >= tools.MINIMUM_GO
