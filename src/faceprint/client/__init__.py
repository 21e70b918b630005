"""Faceprint client."""
