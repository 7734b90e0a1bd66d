from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "explorer.web"
    label = "explorer_web"
    verbose_name = "Kubernetes Architecture Explorer"

    def ready(self) -> None:
        from explorer.web import checks  # noqa: F401 - registers the system checks
