from django.apps import AppConfig


class GuardsiteConfig(AppConfig):
    name = "guardsite"
    verbose_name = "Guardsite tenancy"

    def ready(self) -> None:
        # Import the Celery app when Django starts, so shared tasks bind to it in web processes.
        from . import celery  # noqa: F401
