"""wfm — workforce management for contact centers."""
__version__ = "0.1.0"
