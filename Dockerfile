# votebot: one container runs the Discord client, the webhook server (8080) and the Votifier listener (8192).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VOTEBOT_DATA_DIR=/data

RUN useradd --create-home --uid 10001 votebot \
    && mkdir -p /data /app \
    && chown votebot:votebot /data /app
WORKDIR /app

# Dependencies first, so editing the source does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p bot cogs migrations \
    && touch bot/__init__.py cogs/__init__.py migrations/__init__.py \
    && pip install . \
    && pip uninstall -y votebot

# Then the source.
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
RUN pip install --no-deps .

USER votebot
VOLUME ["/data"]
EXPOSE 8080 8192

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"

ENTRYPOINT ["votebot"]
CMD ["run"]
