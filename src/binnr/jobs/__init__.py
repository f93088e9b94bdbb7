"""Background jobs: one engine interface, durable records, one progress API."""
