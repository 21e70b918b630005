"""Faceprint api."""
