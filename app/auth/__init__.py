"""Organisations, users, tokens, login and the role table."""
