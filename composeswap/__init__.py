"""Switch Docker Compose services between a registry image and a local build."""

__version__ = "0.1.0"
