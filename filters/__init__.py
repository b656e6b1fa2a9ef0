"""Per-document filters: language identification and quality heuristics. No Spark here."""
