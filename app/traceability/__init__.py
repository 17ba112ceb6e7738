"""Codes, cylinders, rules, events and their chain, flags."""
