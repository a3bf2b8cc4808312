/* A C-speed reference: the epoll (level-triggered) echo loop of the notes, in C.
 *
 * The same design as socketlab_common/drivers/epoll_loop.py: one thread,
 * non-blocking sockets, a pending buffer per connection when send() takes
 * only part, and no reading from a client while its replies are pending
 * (back-pressure). It measures what the kernel and the network path cost
 * with no interpreter in the way, so the Python models have a ceiling to be
 * compared against. SIGTERM ends it (default action; tini is PID 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define BUF_SIZE (256 * 1024)

struct pending { char *data; size_t len, off; };

static struct pending *pend;   /* indexed by fd */
static int max_fds;
static char buf[BUF_SIZE];

static void drop(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(pend[fd].data);
    pend[fd].data = NULL;
    pend[fd].len = pend[fd].off = 0;
}

static void set_mask(int ep, int fd, unsigned mask) {
    struct epoll_event ev = {.events = mask, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Send what is pending; returns 0 when all gone, 1 when some remains, -1 on error. */
static int flush_pending(int fd) {
    struct pending *p = &pend[fd];
    while (p->off < p->len) {
        ssize_t n = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
        if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -1;
        p->off += (size_t)n;
    }
    free(p->data);
    p->data = NULL;
    p->len = p->off = 0;
    return 0;
}

static void on_readable(int ep, int fd) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) { drop(ep, fd); return; }
    if (n < 0) return;
    ssize_t sent = send(fd, buf, (size_t)n, MSG_NOSIGNAL);
    if (sent < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) { drop(ep, fd); return; }
        sent = 0;
    }
    if (sent < n) {  /* keep the rest; wait for writability instead of reading more */
        pend[fd].data = malloc((size_t)(n - sent));
        memcpy(pend[fd].data, buf + sent, (size_t)(n - sent));
        pend[fd].len = (size_t)(n - sent);
        pend[fd].off = 0;
        set_mask(ep, fd, EPOLLOUT);
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8888;
    max_fds = (int)sysconf(_SC_OPEN_MAX);
    pend = calloc((size_t)max_fds, sizeof *pend);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
        perror("bind/listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    fprintf(stderr, "C epoll echo listening on 0.0.0.0:%d (max fds %d)\n", port, max_fds);
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (int k = 0; k < 128; k++) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                    if (cfd < 0) {
                        if (errno == EMFILE || errno == ENFILE) usleep(50000);
                        break;
                    }
                    if (cfd >= max_fds) { close(cfd); continue; }
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
            } else if (pend[fd].len) {
                int r = flush_pending(fd);
                if (r < 0) drop(ep, fd);
                else if (r == 0) set_mask(ep, fd, EPOLLIN);
            } else {
                on_readable(ep, fd);
            }
        }
    }
}
