from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "kernel"
    label = "kernel"
    verbose_name = "Hearth shared kernel"

    def ready(self) -> None:
        from kernel.auth import openapi  # noqa: F401  (registers the schema extensions)
