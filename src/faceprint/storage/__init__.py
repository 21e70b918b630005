"""Faceprint storage."""
