"""binnr: text classification over warehouse tables."""

__version__ = "0.1.0"
