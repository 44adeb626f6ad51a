"""Unit tests of the service layer (no I/O)."""
