"""The embedded engine: pure numerics.

It imports nothing of toolkit but ``errors`` and ``registry``.
"""
