"""Warehouse backends behind one small interface (see :mod:`binnr.warehouse.base`)."""
