/* loadgen-c: the benchmark's load generator, in C, so the servers are the bottleneck.
 *
 *   loadgen-c echo HOST [PORT] --connections 10 --size 1024 --duration 5 [--requests N] [--idle N]
 *   loadgen-c c10k HOST [PORT] --connections 10000 --size 64 --interval 3 --duration 9
 *
 * The same method, options and JSON report as the readable Python version
 * (clients/socketlab_clients/loadgen.py): `echo` is the closed loop (each
 * connection sends a message, waits for the whole echo, sends the next),
 * `--idle N` holds N more connections open that send nothing, `c10k` opens
 * many connections that each send a small message every `--interval`
 * seconds. Every echoed byte is compared with what was sent. Latencies go
 * into the same 1%-step histogram (bucket b holds latencies up to
 * 1.01^(b+1) microseconds), so reports of both generators merge by adding.
 *
 * One process, one epoll loop: a compiled loop spends far less per request
 * than any server it measures, and `client_cpu` (cores used) says so in each
 * report. Connections close with RST (SO_LINGER 0): repetitions leave no
 * local ports in TIME_WAIT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTING 256   /* connects in flight: a SYN flood would only fill the server's backlog */
#define MAX_EVENTS 1024
#define BUCKETS 4096         /* 1.01^4096 us: far beyond any run */
#define GROWTH 1.01

enum { ECHO, C10K };

struct options {
    int mode;
    struct sockaddr_in addr;
    long connections, size, idle, requests;
    double duration, grace, interval, connect_timeout;
};

struct conn {
    int fd;
    long sent, got;      /* bytes of the current message sent / echoed */
    double sent_at;      /* 0: no message outstanding */
    double due;          /* c10k: next send */
    int dead;
    int want_out;        /* EPOLLOUT armed: the send buffer was full */
};

static unsigned char *pattern;   /* what every message carries: byte j is (31 j + 7) mod 251 */
static unsigned char recv_buf[256 * 1024];
static uint64_t hist[BUCKETS];
static double max_latency;
static uint64_t bytes_verified, mismatches;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void record(double seconds) {
    double micros = seconds * 1e6;
    if (micros < 1.0) micros = 1.0;
    long b = (long)(log(micros) / log(GROWTH));
    if (b >= BUCKETS) b = BUCKETS - 1;
    hist[b]++;
    if (seconds > max_latency) max_latency = seconds;
}

static double percentile_ms(double fraction) {
    uint64_t total = 0, seen = 0;
    for (int b = 0; b < BUCKETS; b++) total += hist[b];
    if (!total) return 0.0;
    uint64_t rank = (uint64_t)ceil(fraction * (double)total);
    if (rank < 1) rank = 1;
    for (int b = 0; b < BUCKETS; b++) {
        seen += hist[b];
        if (seen >= rank) return pow(GROWTH, b + 1) / 1000.0;
    }
    return 0.0;
}

static long raise_nofile(void) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

/* ------------------------------------------------------------------ connections */

static int new_socket(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    struct linger rst = {1, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    return fd;
}

/* Open `count` connections, at most MAX_CONNECTING at a time; connected fds go to out[], returns how many.
 * Every one of `count` is accounted for: not connected by the deadline, or never started, is failed. */
static long open_connections(const struct sockaddr_in *addr, long count, double deadline, int *out, long *failed) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    long started = 0, connecting = 0, done = 0;
    int flight[MAX_CONNECTING];   /* fds connecting now; -1: free slot */
    for (int s = 0; s < MAX_CONNECTING; s++) flight[s] = -1;
    struct epoll_event events[MAX_EVENTS];
    while (started < count || connecting) {
        while (started < count && connecting < MAX_CONNECTING) {
            started++;
            int fd = new_socket();
            if (fd < 0) { (*failed)++; continue; }
            if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0 || errno == EINPROGRESS) {
                int slot = 0;
                while (flight[slot] >= 0) slot++;
                flight[slot] = fd;
                struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)slot};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                connecting++;
            } else {
                close(fd);
                (*failed)++;
            }
        }
        double left = deadline - now();
        if (left <= 0) break;
        int n = epoll_wait(ep, events, MAX_EVENTS, (int)(fmin(left, 1.0) * 1000) + 1);
        for (int i = 0; i < n; i++) {
            int slot = (int)events[i].data.u64, fd = flight[slot], err = 0;
            socklen_t len = sizeof err;
            flight[slot] = -1;
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            connecting--;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == 0) out[done++] = fd;
            else { close(fd); (*failed)++; }
        }
    }
    close(ep);
    for (int s = 0; s < MAX_CONNECTING; s++)   /* still connecting at the deadline: failed */
        if (flight[s] >= 0) { close(flight[s]); (*failed)++; }
    *failed += count - started;
    return done;
}

/* Send one byte on each connection and wait for it back; alive ones stay first in fds[], returns their count.
 * `timeout` runs from the last answer: a server still answering is waited for, one that stopped is not. */
static long check_alive(int *fds, long n, double timeout) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    char *state = calloc((size_t)n, 1);   /* 0 waiting, 1 alive, 2 dead */
    long waiting = 0;
    for (long i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        if (send(fds[i], "?", 1, MSG_NOSIGNAL) == 1 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == 0) waiting++;
        else state[i] = 2;
    }
    double give_up = now() + timeout * 10, deadline = now() + timeout;
    struct epoll_event events[MAX_EVENTS];
    while (waiting) {
        double left = fmin(deadline, give_up) - now();
        if (left <= 0) break;
        int k = epoll_wait(ep, events, MAX_EVENTS, (int)(fmin(left, 1.0) * 1000) + 1);
        for (int e = 0; e < k; e++) {
            long i = (long)events[e].data.u64;
            char c = 0;
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
            waiting--;
            deadline = now() + timeout;
            state[i] = (recv(fds[i], &c, 1, 0) == 1 && c == '?') ? 1 : 2;
        }
    }
    close(ep);
    /* stable partition: alive first */
    int *tmp = malloc(sizeof(int) * (size_t)(n ? n : 1));
    long alive = 0, rest = 0;
    for (long i = 0; i < n; i++) if (state[i] == 1) tmp[alive++] = fds[i];
    rest = alive;
    for (long i = 0; i < n; i++) if (state[i] != 1) tmp[rest++] = fds[i];
    memcpy(fds, tmp, sizeof(int) * (size_t)n);
    free(tmp);
    free(state);
    return alive;
}

/* ------------------------------------------------------------------ echo, closed loop */

struct loop_report { long requests, errors, stalled, held, late; double elapsed, cpu; };

static void fail(int ep, struct conn *c, long *errors) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    c->dead = 1;
    c->sent_at = 0;
    (*errors)++;
}

/* Send what is left of the current message; -1 on error. */
static int push(int ep, struct conn *c, long size) {
    while (c->sent < size) {
        ssize_t n = send(c->fd, pattern + c->sent, (size_t)(size - c->sent), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            if (!c->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = 1;
            }
            return 0;
        }
        c->sent += n;
    }
    if (c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 0;
    }
    return 0;
}

/* Read what the server echoed and compare it with what was sent; 1 when the message is whole, -1 on error. */
static int pull(struct conn *c, long size) {
    ssize_t n = recv(c->fd, recv_buf, sizeof recv_buf, 0);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    if (n == 0) return -1;                                   /* closed by the server */
    if (!c->sent_at || c->got + n > c->sent || memcmp(recv_buf, pattern + c->got, (size_t)n) != 0) {
        mismatches++;                                        /* more than was sent, or other bytes */
        return -1;
    }
    c->got += n;
    bytes_verified += (uint64_t)n;
    return c->got == size ? 1 : 0;
}

static struct loop_report echo_loop(struct conn *conns, long n, const struct options *o) {
    struct loop_report r = {0};
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event events[MAX_EVENTS];
    long issued = 0, outstanding = 0;
    double cpu0 = cpu_seconds(), start = now(), end = start + o->duration, last = start;
    for (long i = 0; i < n; i++) {
        struct conn *c = &conns[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        if (o->requests && issued >= o->requests) continue;
        c->sent = c->got = 0;
        c->sent_at = now();
        issued++;
        outstanding++;
        if (push(ep, c, o->size) < 0) { fail(ep, c, &r.errors); outstanding--; }
    }
    for (;;) {
        double t = now();
        if (!outstanding || t >= end + o->grace) break;
        double wait = fmin(end + o->grace - t, 0.5);
        int k = epoll_wait(ep, events, MAX_EVENTS, (int)(wait * 1000) + 1);
        for (int e = 0; e < k; e++) {
            struct conn *c = events[e].data.ptr;
            if (c->dead) continue;
            if ((events[e].events & EPOLLOUT) && c->sent < o->size && push(ep, c, o->size) < 0) {
                fail(ep, c, &r.errors); outstanding--; continue;
            }
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            int whole = pull(c, o->size);
            if (whole < 0) { if (c->sent_at) outstanding--; fail(ep, c, &r.errors); continue; }
            if (!whole) continue;
            t = now();
            record(t - c->sent_at);
            last = t;
            r.requests++;
            c->sent_at = 0;
            outstanding--;
            if (t < end && (!o->requests || issued < o->requests)) {
                c->sent = c->got = 0;
                c->sent_at = t;
                issued++;
                outstanding++;
                if (push(ep, c, o->size) < 0) { fail(ep, c, &r.errors); outstanding--; }
            }
        }
    }
    double stop = now();
    r.cpu = cpu_seconds() - cpu0;
    /* a fixed number of requests ends when the last echo is in; a timed run at `end` */
    r.elapsed = o->requests ? fmax(last - start, 1e-9) : (r.requests ? fmin(stop, end) - start : o->duration);
    for (long i = 0; i < n; i++) {
        if (conns[i].dead) continue;
        if (conns[i].sent_at) r.stalled++;
        else r.held++;
    }
    r.errors += r.stalled;
    close(ep);
    return r;
}

/* ------------------------------------------------------------------ c10k: sparse, open loop */

static struct conn *sorting;   /* the array by_due() compares into */

static int by_due(const void *a, const void *b) {
    double x = sorting[*(const long *)a].due, y = sorting[*(const long *)b].due;
    return (x > y) - (x < y);
}

static struct loop_report c10k_loop(struct conn *conns, long n, const struct options *o) {
    struct loop_report r = {0};
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event events[MAX_EVENTS];
    double cpu0 = cpu_seconds(), start = now(), end = start + o->duration;
    /* Due times in a ring: phases are random in [start, start + interval) and each send is rescheduled
       `interval` later, so pushing at the back keeps the ring sorted (no heap needed). */
    long *ring = malloc(sizeof(long) * (size_t)(n ? n : 1)), head = 0, count = n;
    double *phase = malloc(sizeof(double) * (size_t)(n ? n : 1));
    unsigned seed = (unsigned)getpid();
    for (long i = 0; i < n; i++) phase[i] = start + (rand_r(&seed) / (RAND_MAX + 1.0)) * o->interval;
    for (long i = 0; i < n; i++) ring[i] = i;
    for (long i = 0; i < n; i++) conns[i].due = phase[i];
    sorting = conns;
    qsort(ring, (size_t)n, sizeof(long), by_due);
    free(phase);
    long outstanding = 0;
    for (long i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    long alive = n;
    for (;;) {
        double t = now();
        while (count && conns[ring[head]].due <= t) {
            long i = ring[head];
            struct conn *c = &conns[i];
            head = (head + 1) % n;
            count--;
            if (c->dead || c->due >= end) continue;
            c->due += o->interval;
            ring[(head + count) % n] = i;
            count++;
            if (c->sent_at) { r.late++; continue; }  /* the previous echo is not back yet: skip this tick */
            c->sent = c->got = 0;
            c->sent_at = t;
            if (send(c->fd, pattern, (size_t)o->size, MSG_NOSIGNAL) != o->size) {
                fail(ep, c, &r.errors); alive--; continue;
            }
            c->sent = o->size;
            outstanding++;
        }
        if ((t >= end && !outstanding) || t >= end + o->grace || !alive) break;
        double wait = (count && conns[ring[head]].due < end) ? conns[ring[head]].due - t : end + o->grace - t;
        wait = fmax(fmin(wait, 0.5), 0.0);
        int k = epoll_wait(ep, events, MAX_EVENTS, (int)ceil(wait * 1000));
        for (int e = 0; e < k; e++) {
            struct conn *c = events[e].data.ptr;
            if (c->dead) continue;
            int had = c->sent_at != 0;
            int whole = pull(c, o->size);
            if (whole < 0) { if (had) outstanding--; fail(ep, c, &r.errors); alive--; continue; }
            if (whole) {
                record(now() - c->sent_at);
                r.requests++;
                c->sent_at = 0;
                outstanding--;
            }
        }
    }
    r.cpu = cpu_seconds() - cpu0;
    r.elapsed = o->duration;
    for (long i = 0; i < n; i++) {
        if (conns[i].dead) continue;
        if (conns[i].sent_at) r.stalled++;
        else r.held++;
    }
    r.errors += r.stalled;
    free(ring);
    close(ep);
    return r;
}

/* ------------------------------------------------------------------ driver */

static void usage(void) {
    fprintf(stderr, "usage: loadgen-c echo|c10k HOST [PORT] [--connections N] [--size BYTES] [--duration S]\n"
                    "       [--requests N] [--idle N] [--interval S] [--grace S] [--connect-timeout S]\n");
    exit(2);
}

static void parse(int argc, char **argv, struct options *o) {
    if (argc < 3) usage();
    if (!strcmp(argv[1], "echo")) o->mode = ECHO;
    else if (!strcmp(argv[1], "c10k")) o->mode = C10K;
    else usage();
    o->connections = o->mode == ECHO ? 10 : 10000;
    o->size = o->mode == ECHO ? 1024 : 64;
    o->duration = o->mode == ECHO ? 3.0 : 9.0;
    o->grace = 2.0;
    o->interval = 3.0;
    o->connect_timeout = 10.0;
    int port = 8888, i = 3;
    if (argc > 3 && argv[3][0] != '-') { port = atoi(argv[3]); i = 4; }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(argv[2], NULL, &hints, &res) != 0) { fprintf(stderr, "loadgen-c: unknown host %s\n", argv[2]); exit(2); }
    o->addr = *(struct sockaddr_in *)res->ai_addr;
    o->addr.sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    for (; i < argc; i++) {
        if (i + 1 >= argc) usage();
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--connections")) o->connections = atol(v);
        else if (!strcmp(k, "--size")) o->size = atol(v);
        else if (!strcmp(k, "--duration")) o->duration = atof(v);
        else if (!strcmp(k, "--requests")) o->requests = atol(v);
        else if (!strcmp(k, "--idle")) o->idle = atol(v);
        else if (!strcmp(k, "--interval")) o->interval = atof(v);
        else if (!strcmp(k, "--grace")) o->grace = atof(v);
        else if (!strcmp(k, "--connect-timeout")) o->connect_timeout = atof(v);
        else if (!strcmp(k, "--workers")) continue;  /* accepted for the Python version's argv: one process here */
        else usage();
    }
    if (o->size < 1 || o->connections < 0 || o->idle < 0 || o->duration <= 0 || o->interval <= 0) usage();
}

static void close_all(int *fds, long n) {
    for (long i = 0; i < n; i++) close(fds[i]);
}

int main(int argc, char **argv) {
    struct options o = {0};
    signal(SIGPIPE, SIG_IGN);
    parse(argc, argv, &o);
    long nofile = raise_nofile();
    pattern = malloc((size_t)o.size);
    for (long j = 0; j < o.size; j++) pattern[j] = (unsigned char)((31 * j + 7) % 251);

    long total = o.connections + o.idle;
    int *fds = malloc(sizeof(int) * (size_t)(total ? total : 1));
    long refused = 0, idle_refused = 0;
    double deadline = now() + o.connect_timeout + (o.mode == ECHO ? o.idle / 500.0 : o.connections / 1000.0);
    long opened = open_connections(&o.addr, o.connections, deadline, fds, &refused);
    long alive = check_alive(fds, opened, o.connect_timeout);
    long unserved = opened - alive;
    int *idle_fds = fds + opened;
    long idle_opened = 0, idle_alive = 0;
    if (o.idle) {
        idle_opened = open_connections(&o.addr, o.idle, deadline, idle_fds, &idle_refused);
        idle_alive = check_alive(idle_fds, idle_opened, o.connect_timeout);
    }
    struct conn *conns = calloc((size_t)(alive ? alive : 1), sizeof *conns);
    for (long i = 0; i < alive; i++) conns[i].fd = fds[i];
    struct loop_report r = o.mode == ECHO ? echo_loop(conns, alive, &o) : c10k_loop(conns, alive, &o);
    long idle_held = idle_alive ? check_alive(idle_fds, idle_alive, fmax(o.grace, 1.0)) : 0;

    double elapsed = r.elapsed > 0 ? r.elapsed : 1e-9;
    printf("{\"generator\": \"c\", \"mode\": \"%s\", \"requests\": %ld, \"requests_per_s\": %.3f, "
           "\"mib_per_s\": %.6f, \"bytes\": %ld, \"bytes_verified\": %llu, \"mismatches\": %llu, "
           "\"p50_ms\": %.6f, \"p90_ms\": %.6f, \"p99_ms\": %.6f, \"max_ms\": %.6f, "
           "\"errors\": %ld, \"stalled\": %ld, \"refused\": %ld, \"unserved\": %ld, \"connections\": %ld, "
           "\"client_cpu\": %.4f, \"elapsed\": %.6f, \"size\": %ld, \"workers\": 1, \"requested\": %ld",
           o.mode == ECHO ? "echo" : "c10k", r.requests, r.requests / elapsed,
           (double)r.requests * o.size / elapsed / 1048576.0, r.requests * o.size,
           (unsigned long long)bytes_verified, (unsigned long long)mismatches,
           percentile_ms(0.5), percentile_ms(0.9), percentile_ms(0.99), max_latency * 1000,
           r.errors + unserved, r.stalled, refused, unserved, r.held, r.cpu / elapsed, elapsed, o.size,
           o.connections);
    if (o.mode == ECHO)
        printf(", \"idle_requested\": %ld, \"idle_refused\": %ld, \"idle_held\": %ld",
               o.idle, idle_refused + (idle_opened - idle_alive), idle_held);
    else
        printf(", \"late\": %ld", r.late);
    printf(", \"limits\": {\"nofile\": %ld}, \"hist\": {", nofile);
    int first = 1;
    for (int b = 0; b < BUCKETS; b++) {
        if (!hist[b]) continue;
        printf("%s\"%d\": %llu", first ? "" : ", ", b, (unsigned long long)hist[b]);
        first = 0;
    }
    printf("}}\n");
    close_all(fds, opened + idle_opened);
    return 0;
}
