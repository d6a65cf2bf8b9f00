"""Webhooks: hooks an account registers, the events they receive, and their signed delivery."""
