"""One settings module per deployable, chosen by HEARTH_SERVICE."""

import importlib
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from config.services import SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_deployable_installs_its_context_and_the_kernel_only(name):
    module = importlib.import_module(f"config.settings.{name}")
    ours = [app for app in module.INSTALLED_APPS if app.startswith("apps.") or app == "frontend"]
    assert ours == [SERVICES[name].app]
    assert "kernel" in module.INSTALLED_APPS
    assert f"config.urls.{name}" == module.ROOT_URLCONF
    assert module.DATABASES["default"]["USER"] == f"hearth_{name}"
    assert module.DATABASES["default"]["OPTIONS"]["options"] == f"-c search_path={name}"
    assert name == module.CELERY_TASK_DEFAULT_QUEUE


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_relay_runs_exactly_where_the_catalogues_declare_events(name):
    """A relay with nothing to publish is a process to run, watch and pay for."""
    module = importlib.import_module(f"config.settings.{name}")
    declared = [
        event for path in module.HEARTH_EVENT_CATALOGUES for event in import_string(path).events
    ]
    assert SERVICES[name].publishes_events == bool(declared), declared


def _run_manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process whose environment names no deployable but the given one."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "HEARTH_SERVICE", "DJANGO_SECRET_KEY"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env={**base, **environment},
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_the_environment_variable_picks_the_deployable():
    result = _run_manage("diffsettings", "--all", HEARTH_SERVICE="payments")
    assert result.returncode == 0, result.stderr
    assert "ROOT_URLCONF = 'config.urls.payments'" in result.stdout


@pytest.mark.parametrize("service", [{}, {"HEARTH_SERVICE": "billing"}])
def test_an_unknown_deployable_is_refused_with_the_valid_names(service):
    result = _run_manage("check", **service)
    assert result.returncode != 0
    assert "HEARTH_SERVICE must name a deployable" in result.stderr
    assert "listings" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_manage("check", HEARTH_ENV="production", HEARTH_SERVICE="accounts")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_each_deployable_has_its_own_generated_secret_key():
    keys = {
        name: importlib.import_module(f"config.settings.{name}").SECRET_KEY for name in SERVICES
    }
    assert len(set(keys.values())) == len(SERVICES)
    assert all(len(key) >= 50 for key in keys.values())


def test_the_local_secrets_file_is_ignored_outside_a_local_run():
    # Production with no key in its environment refuses, even though this machine
    # has the local file (var/secrets/env/accounts.env) a local run would read.
    result = _run_manage("check", HEARTH_ENV="production", HEARTH_SERVICE="accounts")
    assert "Set DJANGO_SECRET_KEY for the accounts deployable" in result.stderr
