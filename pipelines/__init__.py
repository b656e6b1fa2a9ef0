"""The Spark job. The only package that imports pyspark."""
