"""Thin wrappers over Google Cloud clients, created once per instance and passed to services."""
