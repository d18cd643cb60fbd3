"""Serialization of records between processes, and the stable key hash."""
