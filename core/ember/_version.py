"""The version of the ember distribution (one place; ``ember.__version__`` re-exports it)."""

__version__ = "0.1.0"
