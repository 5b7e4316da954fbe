"""Metrics of world models over held-out episodes, and their plots."""
