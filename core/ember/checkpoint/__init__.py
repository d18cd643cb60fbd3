"""Checkpoints: the format, the local store and recovery."""
