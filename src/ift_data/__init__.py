"""ift-data: make and check instruction-tuning data."""

__version__ = "0.1.0"
