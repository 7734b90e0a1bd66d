"""`manage.py presenter_token`: print a one-time link that opens a presenter room."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from explorer.web.models import PresenterToken


class Command(BaseCommand):
    help = "Print a one-time presenter link: whoever opens it first presents, the class follows at /follow/<room>/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the explorer is served")

    def handle(self, *args: Any, **options: Any) -> None:
        token = PresenterToken.issue()
        self.stdout.write(f"{options['base_url'].rstrip('/')}{reverse('follow-start')}?token={token}")
