"""Celery tasks every deployable's worker runs."""

import platform

from celery import shared_task


@shared_task(name="kernel.python_version")
def python_version() -> str:
    """Lets a test (or an operator) ask a live worker which `platform` it imported."""
    return platform.python_version()
