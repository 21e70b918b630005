"""Faceprint: self-hosted face recognition serving the Mercury Cloud face OpenAPI v1.5.0."""

__all__ = ["__version__"]

__version__ = "0.1.0"
