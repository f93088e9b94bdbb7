"""binnr models."""
