/*
 * racetool: the small measurements of the peer race that iperf3 cannot make.
 *
 *   racetool echo-server HOST ECHO_PORT ONCE_PORT
 *       ECHO_PORT: echoes whatever a connection sends until it closes.
 *       ONCE_PORT: echoes what a connection sends first, then closes it (the server
 *       closes first, so TIME_WAIT stays on the server side, not in the namespace).
 *       One thread, epoll, non-blocking sockets. Prints "ready" when listening.
 *   racetool rr HOST PORT SIZE SECONDS
 *       One connection (TCP_NODELAY); writes SIZE bytes, reads the SIZE-byte echo,
 *       again and again for SECONDS. Prints transactions per second.
 *   racetool crr HOST PORT SECONDS
 *       For SECONDS: connect, write 1 byte, read the 1-byte answer, read the server's
 *       close, close. Prints completed connections per second and failures.
 *   racetool udp-send HOST PORT SIZE RATE_BITS_PER_S SECONDS
 *       Sends SIZE-byte datagrams paced at the given rate (sendmmsg in small batches),
 *       each starting with its 64-bit sequence number. Prints what the kernel took.
 *   racetool udp-recv HOST PORT MAX_SECONDS IDLE_MS
 *       Counts datagrams until IDLE_MS pass without one (after the first) or
 *       MAX_SECONDS pass in all. Prints "ready" once bound, then the counts.
 *   racetool unix-request PATH TEXT
 *       Sends TEXT on a unix stream socket, half-closes, prints the reply (the
 *       slirp4netns API socket takes one JSON request per connection).
 *
 * Results are one line "ok key=value ..." on stdout; a failure is "error: ..." on
 * stderr and exit status 1. Every socket operation that waits has a timeout so a
 * backend that drops traffic makes the tool fail instead of hang.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 5
#define MAX_EVENTS 256
#define UDP_BATCH 32

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "error: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct sockaddr_in address(const char *host, const char *port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t) atoi(port));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "error: not an IPv4 address: %s\n", host);
        exit(2);
    }
    return sa;
}

static void set_timeouts(int fd) {
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* also bounds connect() */
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Reads exactly n bytes; 0 on success, -1 on error, EOF or timeout. */
static int read_full(int fd, char *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r > 0) {
            p += r;
            n -= (size_t) r;
        } else if (r == 0) {
            errno = ECONNRESET;
            return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

static int write_full(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w >= 0) {
            p += w;
            n -= (size_t) w;
        } else if (errno == EAGAIN) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, IO_TIMEOUT_S * 1000) <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

/* ---- echo-server ---------------------------------------------------------------- */

static int listen_on(const char *host, const char *port) {
    struct sockaddr_in sa = address(host, port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
        fail("bind");
    }
    if (listen(fd, 4096) < 0) {
        fail("listen");
    }
    return fd;
}

/* epoll data: the fd in the low 32 bits, its kind above. */
enum kind { LISTEN_ECHO = 1, LISTEN_ONCE, CONN_ECHO, CONN_ONCE };

static int echo_server(int argc, char **argv) {
    if (argc != 3) {
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int listeners[2] = {listen_on(argv[0], argv[1]), listen_on(argv[0], argv[2])};
    for (int i = 0; i < 2; i++) {
        struct epoll_event ev = {.events = EPOLLIN,
                                 .data.u64 = (uint64_t) (i == 0 ? LISTEN_ECHO : LISTEN_ONCE) << 32
                                         | (uint32_t) listeners[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, listeners[i], &ev);
    }
    printf("ready\n");
    fflush(stdout);
    static char buf[65536];
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = (int) (uint32_t) events[i].data.u64;
            enum kind k = (enum kind) (events[i].data.u64 >> 32);
            if (k == LISTEN_ECHO || k == LISTEN_ONCE) {
                int c;
                while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    nodelay(c);
                    struct epoll_event ev = {.events = EPOLLIN,
                                             .data.u64 = (uint64_t) (k == LISTEN_ECHO ? CONN_ECHO : CONN_ONCE) << 32
                                                     | (uint32_t) c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (r <= 0 || write_full(fd, buf, (size_t) r) < 0 || k == CONN_ONCE) {
                close(fd); /* closing also removes it from the epoll set */
            }
        }
    }
}

/* ---- rr ------------------------------------------------------------------------- */

static int connect_to(struct sockaddr_in *sa) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail("socket");
    }
    set_timeouts(fd);
    if (connect(fd, (struct sockaddr *) sa, sizeof *sa) < 0) {
        /* SO_SNDTIMEO ends a connect() that waited too long with EINPROGRESS. */
        int err = errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static int rr(int argc, char **argv) {
    if (argc != 4) {
        return 2;
    }
    struct sockaddr_in sa = address(argv[0], argv[1]);
    size_t size = (size_t) atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (size < 1 || size > 65536) {
        fprintf(stderr, "error: SIZE must be 1..65536\n");
        return 2;
    }
    char *msg = calloc(1, size), *echo = malloc(size);
    int fd = connect_to(&sa);
    if (fd < 0) {
        fail("connect");
    }
    nodelay(fd);
    unsigned long count = 0;
    double start = now_s(), elapsed = 0;
    while (elapsed < seconds) {
        /* Check the clock every 64 round trips: cheap next to a round trip. */
        for (int i = 0; i < 64; i++) {
            if (write_full(fd, msg, size) < 0) {
                fail("write");
            }
            if (read_full(fd, echo, size) < 0) {
                fail("read");
            }
            count++;
        }
        elapsed = now_s() - start;
    }
    close(fd);
    printf("ok transactions=%lu seconds=%.3f per_second=%.1f\n", count, elapsed, count / elapsed);
    return 0;
}

/* ---- crr ------------------------------------------------------------------------ */

static int crr(int argc, char **argv) {
    if (argc != 3) {
        return 2;
    }
    struct sockaddr_in sa = address(argv[0], argv[1]);
    double seconds = atof(argv[2]);
    unsigned long ok = 0, failures = 0;
    int last_errno = 0;
    double start = now_s(), elapsed = 0;
    while (elapsed < seconds) {
        int fd = connect_to(&sa);
        char b = 'x';
        if (fd < 0 || write_full(fd, &b, 1) < 0 || read_full(fd, &b, 1) < 0) {
            last_errno = errno;
            failures++;
        } else {
            /* Wait for the server's FIN so this side closes second: no TIME_WAIT here. */
            char c;
            ssize_t r = read(fd, &c, 1);
            if (r == 0) {
                ok++;
            } else {
                last_errno = r < 0 ? errno : EPROTO;
                failures++;
            }
        }
        if (fd >= 0) {
            close(fd);
        }
        elapsed = now_s() - start;
        if (ok == 0 && failures >= 3) {
            break; /* nothing gets through: stop instead of timing out for the whole run */
        }
    }
    if (ok == 0) {
        errno = last_errno;
        fail("no connection completed");
    }
    printf("ok connections=%lu failures=%lu seconds=%.3f per_second=%.1f last_error=%s\n", ok, failures,
           elapsed, ok / elapsed, failures ? strerror(last_errno) : "none");
    return 0;
}

/* ---- udp-send / udp-recv --------------------------------------------------------- */

/* One batch of datagrams for sendmmsg / recvmmsg: a buffer per message. */
static char udp_bufs[UDP_BATCH][65536];
static struct mmsghdr udp_msgs[UDP_BATCH];
static struct iovec udp_iovs[UDP_BATCH];

/* Points each message of the batch at its buffer, len bytes, addressed to name (NULL: none). */
static void init_batch(size_t len, struct sockaddr_in *name) {
    memset(udp_msgs, 0, sizeof udp_msgs);
    for (int i = 0; i < UDP_BATCH; i++) {
        udp_iovs[i].iov_base = udp_bufs[i];
        udp_iovs[i].iov_len = len;
        udp_msgs[i].msg_hdr.msg_iov = &udp_iovs[i];
        udp_msgs[i].msg_hdr.msg_iovlen = 1;
        udp_msgs[i].msg_hdr.msg_name = name;
        udp_msgs[i].msg_hdr.msg_namelen = name != NULL ? sizeof *name : 0;
    }
}

static int udp_send(int argc, char **argv) {
    if (argc != 5) {
        return 2;
    }
    struct sockaddr_in sa = address(argv[0], argv[1]);
    size_t size = (size_t) atoi(argv[2]);
    double rate_bytes = atof(argv[3]) / 8;
    double seconds = atof(argv[4]);
    if (size < 8 || size > 65507) {
        fprintf(stderr, "error: SIZE must be 8..65507\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail("socket");
    }
    set_timeouts(fd);
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
    init_batch(size, &sa);
    uint64_t seq = 0;
    unsigned long errors = 0;
    double start = now_s(), elapsed = 0;
    while ((elapsed = now_s() - start) < seconds) {
        double due = rate_bytes * elapsed - (double) seq * size;
        long batch = (long) (due / size);
        if (batch <= 0) {
            struct timespec ts = {0, 20 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (batch > UDP_BATCH) {
            batch = UDP_BATCH;
        }
        for (long i = 0; i < batch; i++) {
            uint64_t s = seq + (uint64_t) i;
            memcpy(udp_bufs[i], &s, sizeof s);
        }
        int sent = sendmmsg(fd, udp_msgs, (unsigned) batch, 0);
        if (sent < 0) {
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED) {
                fail("sendmmsg");
            }
            /* The datagrams were not taken: count the refusal and skip them so the
             * offered rate stays the one asked for. */
            errors++;
            seq += (uint64_t) batch;
            continue;
        }
        seq += (uint64_t) sent;
        if (sent < batch) {
            errors++;
            seq += (uint64_t) (batch - sent);
        }
    }
    printf("ok sent=%lu bytes=%lu seconds=%.3f offered_mbps=%.1f send_errors=%lu\n", (unsigned long) seq,
           (unsigned long) (seq * size), elapsed, seq * size * 8 / elapsed / 1e6, errors);
    return 0;
}

static int udp_recv(int argc, char **argv) {
    if (argc != 4) {
        return 2;
    }
    struct sockaddr_in sa = address(argv[0], argv[1]);
    double max_seconds = atof(argv[2]);
    int idle_ms = atoi(argv[3]);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rcvbuf = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
        fail("bind");
    }
    printf("ready\n");
    fflush(stdout);
    init_batch(sizeof udp_bufs[0], NULL);
    unsigned long received = 0, bytes = 0;
    double start = now_s(), first = 0, last = 0;
    for (;;) {
        double now = now_s();
        double left_ms = (max_seconds - (now - start)) * 1000;
        if (left_ms <= 0) {
            break;
        }
        int wait_ms = received == 0 ? (int) left_ms : (idle_ms < left_ms ? idle_ms : (int) left_ms);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int p = poll(&pfd, 1, wait_ms);
        if (p == 0) {
            if (received > 0) {
                break; /* idle: the sender is done */
            }
            continue;
        }
        if (p < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("poll");
        }
        int n = recvmmsg(fd, udp_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            fail("recvmmsg");
        }
        last = now_s();
        if (received == 0) {
            first = last;
        }
        for (int i = 0; i < n; i++) {
            bytes += udp_msgs[i].msg_len;
        }
        received += (unsigned long) n;
    }
    printf("ok received=%lu bytes=%lu first_to_last=%.3f\n", received, bytes, last - first);
    return 0;
}

/* ---- unix-request ---------------------------------------------------------------- */

static int unix_request(int argc, char **argv) {
    if (argc != 2) {
        return 2;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(argv[0]) >= sizeof sa.sun_path) {
        fprintf(stderr, "error: socket path too long\n");
        return 2;
    }
    strncpy(sa.sun_path, argv[0], sizeof sa.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    set_timeouts(fd);
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
        fail("connect");
    }
    if (write_full(fd, argv[1], strlen(argv[1])) < 0) {
        fail("write");
    }
    shutdown(fd, SHUT_WR);
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t) r, stdout);
    }
    if (r < 0) {
        fail("read");
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2) {
        int rc = -1;
        if (strcmp(argv[1], "echo-server") == 0) {
            rc = echo_server(argc - 2, argv + 2);
        } else if (strcmp(argv[1], "rr") == 0) {
            rc = rr(argc - 2, argv + 2);
        } else if (strcmp(argv[1], "crr") == 0) {
            rc = crr(argc - 2, argv + 2);
        } else if (strcmp(argv[1], "udp-send") == 0) {
            rc = udp_send(argc - 2, argv + 2);
        } else if (strcmp(argv[1], "udp-recv") == 0) {
            rc = udp_recv(argc - 2, argv + 2);
        } else if (strcmp(argv[1], "unix-request") == 0) {
            rc = unix_request(argc - 2, argv + 2);
        }
        if (rc != 2 && rc != -1) {
            return rc;
        }
    }
    fprintf(stderr,
            "usage: racetool echo-server HOST ECHO_PORT ONCE_PORT\n"
            "       racetool rr HOST PORT SIZE SECONDS\n"
            "       racetool crr HOST PORT SECONDS\n"
            "       racetool udp-send HOST PORT SIZE RATE_BITS_PER_S SECONDS\n"
            "       racetool udp-recv HOST PORT MAX_SECONDS IDLE_MS\n"
            "       racetool unix-request PATH TEXT\n");
    return 2;
}
