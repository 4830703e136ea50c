# The dms application image used by compose.yaml (app, worker, migrate).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libmagic1 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY dms ./dms
COPY metadata ./metadata
COPY thesaurus ./thesaurus
COPY ingest ./ingest
COPY api ./api
RUN pip install --no-cache-dir -c constraints.txt . \
 && useradd --system --home /data --uid 10001 dms \
 && mkdir -p /data && chown dms /data

USER dms
ENV DMS_DATA_DIR=/data
EXPOSE 8000
CMD ["dms", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]
