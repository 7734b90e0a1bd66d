"""Guided tours: content per tour and language, and the walk through their steps."""
