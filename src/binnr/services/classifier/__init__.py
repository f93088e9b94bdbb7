"""Supervised classifiers behind the original's "GBM" routes: engines, jobs and checks."""
