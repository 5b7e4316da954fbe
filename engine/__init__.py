"""Dreamwalk's engine: everything that computes. Never imports Qt or pygame."""
