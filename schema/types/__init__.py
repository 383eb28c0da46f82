"""Strawberry types, one module per domain."""
