"""Thin Django views and templates: parse, call the domain, render."""
