# Benchmark peer for the web service: Debian's nginx-light, one worker, serving the same static files.
# Build context: the repository root.
ARG BASE_IMAGE=socketlab/base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lab
COPY services/web/bench/nginx.conf /etc/nginx/nginx.conf
COPY services/web/static /srv/static
# The web service's HTTP probe, for the healthcheck (the base image has python3).
COPY services/common/socketlab_common /app/socketlab_common
COPY models /app/models
COPY services/web/webserver /app/webserver
ENV PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1
USER lab
EXPOSE 8000
ENTRYPOINT ["nginx", "-g", "daemon off;"]
