# C-speed reference: a tiny epoll echo compiled with Debian's gcc (no Debian package ships
# a plain high-performance TCP echo server). Build context: repo root.
ARG BASE_IMAGE=socketlab/base:bookworm
FROM ${BASE_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev
COPY services/echo-models/baselines/epoll_echo.c /src/epoll_echo.c
RUN gcc -O2 -Wall -Wextra -o /src/epoll-echo /src/epoll_echo.c

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lab
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/app
COPY services/common/socketlab_common /app/socketlab_common
COPY --from=build /src/epoll-echo /usr/local/bin/epoll-echo
USER lab
EXPOSE 8888
ENTRYPOINT ["/usr/local/bin/epoll-echo", "8888"]
