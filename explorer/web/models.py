"""What the explorer keeps in its database: presenter tokens and follow rooms (nothing about clusters).

Both expire after EXPLORER_PRESENTER_HOURS: an unused token that long after it
was issued, a room (and with it its presenter's right to drive) that long after
it was opened. Expired rows are invisible at once and deleted the next time a
token is issued or a room opened.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["PresenterToken", "Room", "expired_before"]


def expired_before() -> datetime:
    """Tokens issued and rooms opened before this moment have expired."""
    return timezone.now() - timedelta(hours=settings.EXPLORER_PRESENTER_HOURS)


class _Live(models.Manager):  # type: ignore[type-arg]
    """Only the rows created within EXPLORER_PRESENTER_HOURS."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(created__gte=expired_before())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PresenterToken(models.Model):
    """A one-time token that lets whoever holds it open one presenter room; only its hash is stored."""

    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    used = models.DateTimeField(null=True, blank=True)

    objects = _Live()
    everything = models.Manager()

    @classmethod
    def issue(cls) -> str:
        cls.everything.filter(created__lt=expired_before()).delete()
        token = secrets.token_urlsafe(24)
        cls.objects.create(digest=_digest(token))
        return token

    @classmethod
    def find_unused(cls, token: str) -> PresenterToken | None:
        return cls.objects.filter(digest=_digest(token), used__isnull=True).first()


class Room(models.Model):
    """A presenter's room: the audience follows its `state` (tour, step, view, scenario)."""

    slug = models.SlugField(max_length=16, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    state = models.JSONField(default=dict)

    objects = _Live()
    everything = models.Manager()

    @classmethod
    def open(cls) -> Room:
        from django.contrib.sessions.models import Session

        cls.everything.filter(created__lt=expired_before()).delete()
        Session.objects.filter(expire_date__lt=timezone.now()).delete()
        room: Room = cls.objects.create(slug=secrets.token_hex(4))
        return room

    def follow_state(self) -> dict[str, Any]:
        return {"type": "state", "room": self.slug, **self.state}
