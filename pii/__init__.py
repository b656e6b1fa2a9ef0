"""Personal data: Presidio recognizers for the 24 EU languages and the scrubbing stage. No Spark here."""
