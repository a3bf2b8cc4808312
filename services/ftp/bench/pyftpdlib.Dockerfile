# Benchmark reference: pyftpdlib, its default single-process async server.
# Debian's python3-pyftpdlib (1.5.7 in bookworm): PyPI is not reachable from inside
# image builds on this lab's machines (TLS interception), Debian's mirror is.
# Not part of the lab proper (compose profile "bench"). Build context: the repository root.
ARG BASE_IMAGE=socketlab/base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-pyftpdlib \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lab \
 && mkdir -p /srv/ftp && chown 10001:10001 /srv/ftp
COPY services/ftp/bench/pyftpd.py /app/pyftpd.py
ENV PYTHONUNBUFFERED=1
USER lab
VOLUME /srv/ftp
EXPOSE 21
ENTRYPOINT ["python3", "/app/pyftpd.py"]
