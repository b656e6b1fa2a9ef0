# One image for the Spark master, workers, history server and the corpus driver: the executors need the
# same Python packages as the driver (the per-document stages run in them).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
    PYSPARK_PYTHON=/usr/local/bin/python \
    PYSPARK_DRIVER_PYTHON=/usr/local/bin/python
WORKDIR /opt/eu-corpus
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY corpus corpus
COPY filters filters
COPY pii pii
COPY dedup dedup
COPY pipelines pipelines
COPY trainer trainer
COPY docker docker
COPY docs docs
RUN pip install --no-cache-dir --no-deps . \
 && ln -s "$(python -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')" /opt/spark
ENV SPARK_HOME=/opt/spark PATH=/opt/spark/bin:$PATH
ENTRYPOINT []
CMD ["corpus", "--help"]
