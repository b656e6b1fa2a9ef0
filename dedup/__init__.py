"""Deduplication: text normalisation, exact hashes and MinHash LSH band keys (plain Python + numpy).

The clustering across a whole run is Spark work and lives in ``pipelines/dedup.py``.
"""
