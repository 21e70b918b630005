"""Faceprint cli."""
