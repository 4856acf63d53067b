"""Cobre: SDDP hydrothermal dispatch solver."""

from cobre._cobre import __version__

__all__ = ["__version__"]
