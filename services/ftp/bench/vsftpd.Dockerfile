# Benchmark reference: Debian's vsftpd, anonymous read and upload into /srv/ftp/pub.
# Not part of the lab proper (compose profile "bench"). Build context: the repository root.
ARG BASE_IMAGE=socketlab/base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends vsftpd \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /srv/ftp/pub /var/run/vsftpd/empty \
 && chown root:root /srv/ftp && chmod 755 /srv/ftp \
 && chown ftp:ftp /srv/ftp/pub && chmod 755 /srv/ftp/pub
COPY services/ftp/bench/vsftpd.conf /etc/vsftpd.conf
VOLUME /srv/ftp/pub
EXPOSE 21
ENTRYPOINT ["/usr/sbin/vsftpd", "/etc/vsftpd.conf"]
