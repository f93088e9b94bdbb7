"""Preparing data: file formats, headers, classification tables."""
