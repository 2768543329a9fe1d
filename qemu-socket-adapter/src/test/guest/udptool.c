/*
 * udptool.c - a UDP client and echo server for the jslirp test guest.
 *
 * Theory of operation
 *   Debian's busybox has no UDP mode in its nc, so the end-to-end tests of the UDP NAT carry this
 *   small tool in the guest (build-guest-image.sh compiles it with gcc -static). It does exactly
 *   what the tests need and prints one line per event, for the Java side to parse
 *   (dev.jslirp.e2e.nat.Udptool):
 *
 *   udptool send ADDR PORT SIZE [COUNT [TIMEOUT_MS]]
 *     Connects a UDP socket to ADDR:PORT, ADDR an IPv4 or IPv6 address (so the kernel reports
 *     ICMP and ICMPv6 errors for that peer on it),
 *     then COUNT times (default 1): sends one datagram of SIZE bytes (0..65507) and waits up to
 *     TIMEOUT_MS (default 2000) for a datagram back, which must be the same bytes. Each datagram
 *     carries a different pattern (its number and a byte sequence), so a reply to an earlier one
 *     or a corrupted reply is told apart. Prints per datagram one of
 *       ok SIZE RTT_US
 *       mismatch SENT_SIZE GOT_SIZE FIRST_DIFFERING_OFFSET
 *       timeout
 *       error ERRNO_NAME          (an ICMP error the kernel reported: ECONNREFUSED, EHOSTUNREACH...)
 *     and finally "sent N ok M"; exits 0 if every datagram came back intact, 1 if not, 2 on bad use.
 *
 *   udptool echo PORT
 *     Binds [::]:PORT for both families and sends every datagram back to where it came from,
 *     forever, printing "echo SIZE ADDR:PORT" per datagram (stdout is line-buffered for that):
 *     an IPv4 peer as a dotted quad, an IPv6 one as [ADDR].
 *
 *   Addresses are literals (no name resolution: a static glibc binary cannot use NSS, and the
 *   tests use addresses anyway).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_UDP_PAYLOAD 65507 /* 65535 - 20 (IPv4 header) - 8 (UDP header); IPv6 allows 65527 */

static unsigned char out_buf[MAX_UDP_PAYLOAD];
static unsigned char in_buf[MAX_UDP_PAYLOAD + 1];

static const char *errno_name(int e) {
    switch (e) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTO: return "EPROTO";
    default: return "EOTHER";
    }
}

static int parse_int(const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: udptool send ADDR PORT SIZE [COUNT [TIMEOUT_MS]]\n"
                    "       udptool echo PORT\n");
    return 2;
}

static long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

/* Datagram number n: its number in the first 4 bytes, then bytes that depend on n and the offset. */
static void fill(unsigned char *b, long size, long n) {
    for (long i = 0; i < size; i++) {
        b[i] = (unsigned char) (i < 4 ? (n >> (8 * i)) : (i * 7 + n * 13 + (i >> 8)));
    }
}

static int send_mode(int argc, char **argv) {
    long port, size, count = 1, timeout_ms = 2000;
    struct sockaddr_in to4 = {.sin_family = AF_INET};
    struct sockaddr_in6 to6 = {.sin6_family = AF_INET6};
    int v6 = argc >= 3 && strchr(argv[2], ':') != NULL;
    if (argc < 5 || argc > 7
        || (v6 ? inet_pton(AF_INET6, argv[2], &to6.sin6_addr) : inet_pton(AF_INET, argv[2], &to4.sin_addr)) != 1
        || parse_int(argv[3], 1, 65535, &port) || parse_int(argv[4], 0, MAX_UDP_PAYLOAD, &size)
        || (argc > 5 && parse_int(argv[5], 1, 100000, &count))
        || (argc > 6 && parse_int(argv[6], 1, 600000, &timeout_ms))) {
        return usage();
    }
    to4.sin_port = htons((unsigned short) port);
    to6.sin6_port = htons((unsigned short) port);
    struct sockaddr *to = v6 ? (struct sockaddr *) &to6 : (struct sockaddr *) &to4;
    socklen_t to_len = v6 ? sizeof to6 : sizeof to4;
    int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    if (s < 0 || connect(s, to, to_len) < 0) {
        printf("error %s\n", errno_name(errno));
        return 1;
    }
    long ok = 0;
    for (long n = 0; n < count; n++) {
        fill(out_buf, size, n);
        long start = now_us();
        if (send(s, out_buf, (size_t) size, 0) < 0) {
            printf("error %s\n", errno_name(errno));
            continue;
        }
        for (;;) {
            long left_ms = timeout_ms - (now_us() - start) / 1000;
            struct pollfd p = {.fd = s, .events = POLLIN};
            int r = left_ms > 0 ? poll(&p, 1, (int) left_ms) : 0;
            if (r == 0) {
                printf("timeout\n");
                break;
            }
            if (r < 0) {
                if (errno == EINTR) {
                    continue;
                }
                printf("error %s\n", errno_name(errno));
                break;
            }
            ssize_t got = recv(s, in_buf, sizeof in_buf, 0);
            if (got < 0) {
                printf("error %s\n", errno_name(errno));
                break;
            }
            if (got >= 4 && size >= 4 && memcmp(in_buf, out_buf, 4) != 0) {
                continue; /* a late reply to an earlier datagram: keep waiting for ours */
            }
            long diff = -1;
            for (long i = 0; i < size && i < got; i++) {
                if (in_buf[i] != out_buf[i]) {
                    diff = i;
                    break;
                }
            }
            if (got == size && diff < 0) {
                printf("ok %ld %ld\n", size, now_us() - start);
                ok++;
            } else {
                printf("mismatch %ld %ld %ld\n", size, (long) got, diff);
            }
            break;
        }
    }
    printf("sent %ld ok %ld\n", count, ok);
    close(s);
    return ok == count ? 0 : 1;
}

static int echo_mode(int argc, char **argv) {
    long port;
    if (argc != 3 || parse_int(argv[2], 1, 65535, &port)) {
        return usage();
    }
    struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short) port)};
    me.sin6_addr = in6addr_any;
    int off = 0;
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    /* Both families on one socket: IPv4 peers arrive as ::ffff:a.b.c.d. */
    if (s < 0 || setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0
        || bind(s, (struct sockaddr *) &me, sizeof me) < 0) {
        perror("udptool echo");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        struct sockaddr_in6 from;
        socklen_t len = sizeof from;
        ssize_t got = recvfrom(s, in_buf, sizeof in_buf, 0, (struct sockaddr *) &from, &len);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("udptool echo: recvfrom");
            return 1;
        }
        if (sendto(s, in_buf, (size_t) got, 0, (struct sockaddr *) &from, len) < 0) {
            perror("udptool echo: sendto");
        }
        char addr[INET6_ADDRSTRLEN];
        if (IN6_IS_ADDR_V4MAPPED(&from.sin6_addr)) {
            inet_ntop(AF_INET, &from.sin6_addr.s6_addr[12], addr, sizeof addr);
            printf("echo %ld %s:%u\n", (long) got, addr, ntohs(from.sin6_port));
        } else {
            inet_ntop(AF_INET6, &from.sin6_addr, addr, sizeof addr);
            printf("echo %ld [%s]:%u\n", (long) got, addr, ntohs(from.sin6_port));
        }
    }
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "send") == 0) {
        return send_mode(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "echo") == 0) {
        return echo_mode(argc, argv);
    }
    return usage();
}
