/*
 * tap-relay: bridges a tap device to a QEMU stream socket, so that a backend that
 * speaks QEMU's -netdev stream protocol (passt, jslirp --listen) can serve a network
 * namespace the way it would serve a virtual machine.
 *
 *   tap-relay --tap NAME --connect PATH
 *
 * Run it inside the namespace (ip netns exec NS tap-relay ...): it creates the tap
 * device NAME there (IFF_TAP | IFF_NO_PI: bare Ethernet frames, no packet-info header,
 * no virtio-net header, so the kernel segments and checksums before a frame reaches
 * us) and connects to the unix stream socket PATH (a filesystem path, which is the
 * same in every network namespace). The device disappears when the relay exits.
 *
 * Wire format on the socket (QEMU net/stream.c, as -netdev stream / -netdev socket):
 * each Ethernet frame is preceded by its length as a 4-byte big-endian integer that
 * does not count itself; no other header.
 *
 * Theory of operation: two threads, one per direction, both blocking, so neither
 * direction can stall the other (a single-threaded relay with blocking writes can
 * deadlock when both peers are writing at once).
 *  - tap -> socket: read every frame the tap has ready (the tap fd is non-blocking;
 *    poll() waits when it is empty), prefixing each with its length in one batch
 *    buffer, then write the batch with as few write() calls as the socket allows.
 *    While the socket is full the thread blocks and the tap's queue fills: the
 *    kernel then drops at the tap's qdisc, which is the backpressure a VM's NIC
 *    queue would give.
 *  - socket -> tap: read as much as the socket has into a buffer, cut it into frames
 *    and write each frame to the tap with one write() (the tap takes one frame per
 *    write). A partial frame at the end of the buffer is moved to its front.
 * A length of 0 or above MAX_FRAME on the socket is a protocol error: the relay
 * exits, as QEMU drops such a connection. End of stream exits with status 0.
 *
 * Counters are printed to stderr on exit (SIGTERM / SIGINT / end of stream).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Largest frame either way: QEMU refuses frames over NET_BUFSIZE (4096 + 65536). */
#define MAX_FRAME (4096 + 65536)
/* Bytes of frames gathered from the tap before one write to the socket. */
#define BATCH_BYTES (256 * 1024)
/* Socket read buffer: several large frames per read() at MTU 65520. */
#define RX_BYTES (512 * 1024)

static int tap_fd = -1;
static int sock_fd = -1;

static atomic_ulong tap_frames, tap_bytes, sock_frames, sock_bytes, tap_write_errors;

/* Also called from the signal handler: one write(2) of a stack buffer. */
static void print_counters(void) {
    char line[256];
    int n = snprintf(line, sizeof line,
            "tap-relay: tap->socket %lu frames %lu bytes; socket->tap %lu frames %lu bytes, "
            "%lu tap write errors\n",
            atomic_load(&tap_frames), atomic_load(&tap_bytes), atomic_load(&sock_frames),
            atomic_load(&sock_bytes), atomic_load(&tap_write_errors));
    if (n > 0) {
        ssize_t ignored = write(STDERR_FILENO, line, (size_t) n < sizeof line ? (size_t) n : sizeof line - 1);
        (void) ignored;
    }
}

static void die(const char *what) {
    fprintf(stderr, "tap-relay: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void on_signal(int sig) {
    (void) sig;
    print_counters();
    _exit(0);
}

static int open_tap(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        die("open /dev/net/tun");
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (strlen(name) >= IFNAMSIZ) {
        fprintf(stderr, "tap-relay: tap name too long: %s\n", name);
        exit(2);
    }
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        die("TUNSETIFF");
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        die("fcntl O_NONBLOCK on the tap");
    }
    return fd;
}

/* Connects to the unix socket, retrying for up to 10 s while the backend starts. */
static int connect_unix(const char *path) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "tap-relay: socket path too long: %s\n", path);
        exit(2);
    }
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    for (int attempt = 0;; attempt++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            die("socket");
        }
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
            return fd;
        }
        int err = errno;
        close(fd);
        if ((err != ENOENT && err != ECONNREFUSED) || attempt >= 200) {
            errno = err;
            die("connect");
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("write to the socket");
        }
        p += w;
        n -= (size_t) w;
    }
}

/* tap -> socket: batches of length-prefixed frames. */
static void *tap_to_socket(void *unused) {
    (void) unused;
    uint8_t *batch = malloc(BATCH_BYTES + 4 + MAX_FRAME);
    if (batch == NULL) {
        die("malloc");
    }
    size_t used = 0;
    for (;;) {
        ssize_t n = read(tap_fd, batch + used + 4, MAX_FRAME);
        if (n > 0) {
            uint32_t len = htonl((uint32_t) n);
            memcpy(batch + used, &len, 4);
            used += 4 + (size_t) n;
            atomic_fetch_add(&tap_frames, 1);
            atomic_fetch_add(&tap_bytes, (unsigned long) n);
            if (used < BATCH_BYTES) {
                continue;
            }
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            die("read from the tap");
        }
        /* The tap is empty (or the batch full): send what we have, then wait. */
        if (used > 0) {
            write_all(sock_fd, batch, used);
            used = 0;
            continue;
        }
        struct pollfd pfd = {.fd = tap_fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            die("poll on the tap");
        }
    }
    return NULL;
}

/* socket -> tap: split the stream into frames, one tap write each. */
static void socket_to_tap(void) {
    uint8_t *buf = malloc(RX_BYTES);
    if (buf == NULL) {
        die("malloc");
    }
    size_t have = 0;
    for (;;) {
        ssize_t n = read(sock_fd, buf + have, RX_BYTES - have);
        if (n == 0) {
            fprintf(stderr, "tap-relay: the backend closed the stream\n");
            print_counters();
            exit(0);
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("read from the socket");
        }
        have += (size_t) n;
        size_t off = 0;
        while (have - off >= 4) {
            uint32_t len;
            memcpy(&len, buf + off, 4);
            len = ntohl(len);
            if (len == 0 || len > MAX_FRAME) {
                fprintf(stderr, "tap-relay: bad frame length %u on the stream\n", len);
                print_counters();
                exit(1);
            }
            if (have - off - 4 < len) {
                break;
            }
            ssize_t w;
            do {
                w = write(tap_fd, buf + off + 4, len);
            } while (w < 0 && errno == EINTR);
            if (w < 0) {
                /* e.g. EIO while the link is down, EINVAL for a runt: the frame is lost. */
                atomic_fetch_add(&tap_write_errors, 1);
            }
            atomic_fetch_add(&sock_frames, 1);
            atomic_fetch_add(&sock_bytes, len);
            off += 4 + len;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
}

static void usage(void) {
    fprintf(stderr, "usage: tap-relay --tap NAME --connect UNIX_SOCKET_PATH\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *tap = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tap") == 0 && i + 1 < argc) {
            tap = argv[++i];
        } else if (strcmp(argv[i], "--connect") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else {
            usage();
        }
    }
    if (tap == NULL || path == NULL) {
        usage();
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    sock_fd = connect_unix(path);
    tap_fd = open_tap(tap);
    fprintf(stderr, "tap-relay: %s <-> %s\n", tap, path);

    pthread_t t;
    if (pthread_create(&t, NULL, tap_to_socket, NULL) != 0) {
        die("pthread_create");
    }
    socket_to_tap();
    return 0;
}
