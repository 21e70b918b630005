"""Faceprint engine."""
