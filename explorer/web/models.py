"""What the explorer keeps in its database: presenter tokens and follow rooms (nothing about clusters)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import models

__all__ = ["PresenterToken", "Room"]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PresenterToken(models.Model):
    """A one-time token that lets whoever holds it open one presenter room; only its hash is stored."""

    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    used = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls) -> str:
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

    @classmethod
    def open(cls) -> Room:
        return cls.objects.create(slug=secrets.token_hex(4))

    def follow_state(self) -> dict[str, Any]:
        return {"type": "state", "room": self.slug, **self.state}
