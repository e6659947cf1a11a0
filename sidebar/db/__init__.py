"""Database backends: Django's own, with what this app changes about them (docs/speed.md)."""
