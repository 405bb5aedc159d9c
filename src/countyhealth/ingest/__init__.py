"""Ingest: one reader per format behind one interface (readers.py), one loader (loader.py)."""

from countyhealth.ingest.loader import NightResult, ingest_night

__all__ = ["NightResult", "ingest_night"]
