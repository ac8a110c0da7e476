/*
 * tcpload: the proxy benchmark's own load tool (bench/proxy.mjs builds it with
 * gcc -O2). Three modes, one JSON line on stdout each:
 *
 *   tcpload server --port P [--host 127.0.0.1] [--max-seconds S]
 *       epoll echo server: echo what it reads, close on EOF. Prints
 *       {"event":"ready","port":P} once listening (P may be 0: ephemeral).
 *   tcpload conn --port P [--host H] [--concurrency 64] [--seconds D] [--size 64] [--sources 32]
 *       N concurrent clients, each looping connect -> write SIZE bytes ->
 *       read SIZE bytes -> close. Reports conn/s and the latency of a whole
 *       transaction (connect start to last byte read), p50/p99 in µs.
 *   tcpload conn --rate R --port P [--seconds D] [--hold-ms 0] [--timeout-ms 3000] [--count N]
 *       open loop: start R connections per second whatever happens to the
 *       earlier ones (at most 4096 in flight), each connect -> write SIZE ->
 *       read the echo -> hold HOLD ms -> close, and classify every attempt:
 *       ok, reset (ECONNRESET/EPIPE), refused (ECONNREFUSED), timeout (not
 *       done within --timeout-ms), other (early EOF, other errnos), skipped
 *       (4096 in flight: not attempted). After D seconds it waits at most
 *       --timeout-ms for the attempts in flight; SIGUSR1 ends the D seconds
 *       early (the reload bench sends it after its last reload).
 *   tcpload rr --port P [--host H] [--seconds D] [--size 64]
 *       one persistent connection (TCP_NODELAY), SIZE-byte ping-pong.
 *       Reports round trips/s and p50/p99 in µs.
 *
 * Every loop is bounded: by the deadline (--seconds, --max-seconds) and by a
 * cap on recorded samples.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (64u * 1024u * 1024u)
#define MAX_SIZE 65536
#define MAX_CONCURRENCY 4096

static const char *opt_host = "127.0.0.1";
static int opt_port = -1;
static int opt_concurrency = 64;
static double opt_seconds = 5.0;
static double opt_max_seconds = 3600.0;
static int opt_size = 64;
/* Source addresses the conn clients rotate through (127.0.0.1..N). Each
 * address has its own ephemeral port range, so TIME_WAIT sockets left by the
 * clients' active closes do not exhaust one range and turn connect() into a
 * long port search (measured here: 23k conn/s fresh, 12k once ~28k sockets
 * sat in TIME_WAIT, p99 3 ms -> 65 ms). */
static int opt_sources = 32;
static double opt_rate = 0;      /* conn: > 0 selects the open-loop, classifying mode */
static int opt_hold_ms = 0;
static int opt_timeout_ms = 3000;
static long long opt_count = 0;  /* 0 = no cap besides --seconds */

static void die(const char *what) {
  fprintf(stderr, "tcpload: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Latency samples in ns, grown on demand up to MAX_SAMPLES. */
typedef struct {
  uint64_t *v;
  size_t n, cap;
} samples_t;

static void samples_add(samples_t *s, uint64_t ns) {
  if (s->n == s->cap) {
    if (s->cap >= MAX_SAMPLES) return;
    size_t cap = s->cap ? s->cap * 2 : 65536;
    uint64_t *v = realloc(s->v, cap * sizeof *v);
    if (!v) return;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double percentile_us(samples_t *s, double p) {
  if (s->n == 0) return 0;
  size_t i = (size_t)(p / 100.0 * (double)s->n);
  if (i >= s->n) i = s->n - 1;
  return (double)s->v[i] / 1000.0;
}

static struct sockaddr_in target_addr(void) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)opt_port);
  if (inet_pton(AF_INET, opt_host, &a.sin_addr) != 1) {
    fprintf(stderr, "tcpload: bad IPv4 address '%s'\n", opt_host);
    exit(2);
  }
  return a;
}

/* ------------------------------------------------------------------ server */

typedef struct {
  int fd;
  int len, off; /* pending echo bytes not yet written */
  char buf[MAX_SIZE];
} echo_conn_t;

static void server_close(int ep, echo_conn_t *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

static int run_server(void) {
  struct sockaddr_in a = target_addr();
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(lfd, 4096) < 0) die("listen");
  socklen_t alen = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &alen);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  printf("{\"event\":\"ready\",\"port\":%d}\n", ntohs(a.sin_port));
  fflush(stdout);

  uint64_t deadline = now_ns() + (uint64_t)(opt_max_seconds * 1e9);
  struct epoll_event evs[256];
  while (now_ns() < deadline) {
    int n = epoll_wait(ep, evs, 256, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      echo_conn_t *c = evs[i].data.ptr;
      if (c == NULL) { /* listener: accept a bounded batch */
        for (int k = 0; k < 256; k++) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          echo_conn_t *nc = malloc(sizeof *nc);
          if (!nc) { close(fd); continue; }
          nc->fd = fd;
          nc->len = nc->off = 0;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (c->len > c->off) { /* flushing a pending echo */
        ssize_t w = write(c->fd, c->buf + c->off, (size_t)(c->len - c->off));
        if (w < 0 && errno != EAGAIN) { server_close(ep, c); continue; }
        if (w > 0) c->off += (int)w;
        if (c->off == c->len) {
          c->len = c->off = 0;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
        }
        continue;
      }
      ssize_t r = read(c->fd, c->buf, sizeof c->buf);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { server_close(ep, c); continue; }
      if (r < 0) continue;
      ssize_t w = write(c->fd, c->buf, (size_t)r);
      if (w < 0 && errno != EAGAIN) { server_close(ep, c); continue; }
      if (w < 0) w = 0;
      if (w < r) { /* peer is slow: hold the rest, stop reading until it drains */
        c->len = (int)r;
        c->off = (int)w;
        struct epoll_event cev = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
      }
    }
  }
  return 0;
}

/* -------------------------------------------------------------------- conn */

enum { ST_CONNECTING, ST_READING };

typedef struct {
  int fd;
  int state;
  int got;
  uint64_t started;
} client_t;

static char payload[MAX_SIZE];

static int client_start(int ep, client_t *c, const struct sockaddr_in *a, uint64_t *errors) {
  static uint32_t next_source;
  for (int attempt = 0; attempt < 100; attempt++) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt_sources > 1 && (ntohl(a->sin_addr.s_addr) >> 24) == 127) {
      struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = 0};
      src.sin_addr.s_addr = htonl(0x7f000001u + next_source++ % (uint32_t)opt_sources);
      setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind source");
    }
    c->started = now_ns();
    c->got = 0;
    c->state = ST_CONNECTING;
    if (connect(c->fd, (const struct sockaddr *)a, sizeof *a) == 0 || errno == EINPROGRESS) {
      struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
      epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
      return 0;
    }
    (*errors)++;
    close(c->fd);
    c->fd = -1;
  }
  return -1;
}

static int run_conn(void) {
  struct sockaddr_in a = target_addr();
  if (opt_concurrency < 1 || opt_concurrency > MAX_CONCURRENCY) {
    fprintf(stderr, "tcpload: --concurrency must be 1..%d\n", MAX_CONCURRENCY);
    return 2;
  }
  memset(payload, 'x', sizeof payload);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  client_t *clients = calloc((size_t)opt_concurrency, sizeof *clients);
  samples_t lat = {0};
  uint64_t done = 0, errors = 0, all = 0; /* all: warm-up included, for per-connection CPU */
  char rbuf[MAX_SIZE];

  uint64_t t0 = now_ns();
  /* A short warm-up (not counted) so the first SYN floods do not skew p99. */
  uint64_t warm = (uint64_t)(opt_seconds * 1e9 / 10.0);
  if (warm > 500000000ull) warm = 500000000ull;
  uint64_t measure_from = t0 + warm;
  uint64_t deadline = measure_from + (uint64_t)(opt_seconds * 1e9);
  for (int i = 0; i < opt_concurrency; i++)
    if (client_start(ep, &clients[i], &a, &errors) < 0) die("connect");

  struct epoll_event evs[MAX_CONCURRENCY];
  uint64_t now = now_ns();
  while (now < deadline) {
    int n = epoll_wait(ep, evs, opt_concurrency, 100);
    now = now_ns();
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      client_t *c = evs[i].data.ptr;
      int failed = 0;
      if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || write(c->fd, payload, (size_t)opt_size) != opt_size) {
          failed = 1;
        } else {
          c->state = ST_READING;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          continue;
        }
      } else {
        ssize_t r = read(c->fd, rbuf, (size_t)(opt_size - c->got));
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) {
          failed = 1;
        } else {
          c->got += (int)r;
          if (c->got < opt_size) continue;
          all++;
          if (c->started >= measure_from) {
            done++;
            samples_add(&lat, now - c->started);
          }
        }
      }
      if (failed && c->started >= measure_from) errors++;
      close(c->fd); /* also removes it from the epoll set */
      if (client_start(ep, c, &a, &errors) < 0) die("connect");
    }
  }
  double secs = (double)(now - measure_from) / 1e9;
  qsort(lat.v, lat.n, sizeof *lat.v, cmp_u64);
  printf("{\"mode\":\"conn\",\"concurrency\":%d,\"size\":%d,\"seconds\":%.3f,\"connections\":%llu,"
         "\"all_connections\":%llu,\"errors\":%llu,\"conn_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
         opt_concurrency, opt_size, secs, (unsigned long long)done, (unsigned long long)all, (unsigned long long)errors,
         (double)done / secs, percentile_us(&lat, 50), percentile_us(&lat, 99));
  return done > 0 ? 0 : 1;
}

/* -------------------------------------------------------- conn --rate (open loop) */

enum { RS_FREE, RS_CONNECTING, RS_READING, RS_HOLDING };
enum { RES_OK, RES_RESET, RES_REFUSED, RES_TIMEOUT, RES_OTHER, RES_COUNT };

typedef struct {
  int fd;
  int state;
  int got;
  uint64_t started, hold_until;
} rate_client_t;

static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig) { (void)sig; stop_requested = 1; }

static int classify_errno(int err) {
  if (err == ECONNRESET || err == EPIPE) return RES_RESET;
  if (err == ECONNREFUSED) return RES_REFUSED;
  if (err == ETIMEDOUT) return RES_TIMEOUT;
  return RES_OTHER;
}

static int run_conn_rate(void) {
  struct sockaddr_in a = target_addr();
  memset(payload, 'x', sizeof payload);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  rate_client_t *slots = calloc(MAX_CONCURRENCY, sizeof *slots);
  int *free_list = calloc(MAX_CONCURRENCY, sizeof *free_list);
  if (!slots || !free_list) die("calloc");
  int free_n = 0;
  for (int i = MAX_CONCURRENCY - 1; i >= 0; i--) free_list[free_n++] = i;
  uint64_t results[RES_COUNT] = {0}, attempted = 0, skipped = 0;
  samples_t lat = {0};
  char rbuf[MAX_SIZE];
  const int one = 1;
  uint32_t next_source = 0;
  const uint64_t timeout_ns = (uint64_t)opt_timeout_ms * 1000000ull;
  const uint64_t t0 = now_ns();
  uint64_t stop_starting = t0 + (uint64_t)(opt_seconds * 1e9);
  uint64_t hard_end = stop_starting + timeout_ns + 1000000000ull;
  signal(SIGUSR1, on_stop_signal);
  uint64_t due_done = 0; /* connections due so far (attempted + skipped) */

#define FINISH(c, r)                                                                               \
  do {                                                                                             \
    results[(r)]++;                                                                                \
    close((c)->fd); /* also leaves the epoll set */                                                \
    (c)->state = RS_FREE;                                                                          \
    free_list[free_n++] = (int)((c)-slots);                                                       \
  } while (0)

  struct epoll_event evs[1024];
  for (;;) {
    uint64_t now = now_ns();
    if (stop_requested && now < stop_starting) {
      stop_starting = now;
      hard_end = now + timeout_ns + 1000000000ull;
    }
    if (now >= hard_end) break;
    if (now < stop_starting) {
      uint64_t due = (uint64_t)((double)(now - t0) / 1e9 * opt_rate) + 1;
      if (opt_count > 0 && due > (uint64_t)opt_count) due = (uint64_t)opt_count;
      for (; due_done < due; due_done++) {
        if (free_n == 0) { skipped++; continue; }
        rate_client_t *c = &slots[free_list[--free_n]];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) die("socket");
        attempted++;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (opt_sources > 1 && (ntohl(a.sin_addr.s_addr) >> 24) == 127) {
          struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = 0};
          src.sin_addr.s_addr = htonl(0x7f000001u + next_source++ % (uint32_t)opt_sources);
          setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
          if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind source");
        }
        c->started = now_ns();
        c->got = 0;
        c->state = RS_CONNECTING;
        if (connect(c->fd, (const struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
          FINISH(c, classify_errno(errno));
          continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
      }
    } else if (free_n == MAX_CONCURRENCY) {
      break; /* done starting, nothing in flight */
    }
    int n = epoll_wait(ep, evs, 1024, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    now = now_ns();
    for (int i = 0; i < n; i++) {
      rate_client_t *c = evs[i].data.ptr;
      if (c->state == RS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) { FINISH(c, classify_errno(err)); continue; }
        if (write(c->fd, payload, (size_t)opt_size) != opt_size) { FINISH(c, classify_errno(errno)); continue; }
        c->state = RS_READING;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        continue;
      }
      ssize_t r = read(c->fd, rbuf, sizeof rbuf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r < 0) { FINISH(c, classify_errno(errno)); continue; }
      if (r == 0 || c->state == RS_HOLDING) { FINISH(c, RES_OTHER); continue; } /* early EOF, or bytes nobody sent */
      c->got += (int)r;
      if (c->got < opt_size) continue;
      samples_add(&lat, now - c->started);
      if (opt_hold_ms > 0) {
        c->state = RS_HOLDING;
        c->hold_until = now + (uint64_t)opt_hold_ms * 1000000ull;
      } else {
        FINISH(c, RES_OK);
      }
    }
    /* Timers: holds that ended, attempts that took too long. */
    for (int i = 0; i < MAX_CONCURRENCY; i++) {
      rate_client_t *c = &slots[i];
      if (c->state == RS_FREE) continue;
      if (c->state == RS_HOLDING) {
        if (now >= c->hold_until) FINISH(c, RES_OK);
      } else if (now - c->started >= timeout_ns) {
        FINISH(c, RES_TIMEOUT);
      }
    }
  }
  for (int i = 0; i < MAX_CONCURRENCY; i++)
    if (slots[i].state != RS_FREE) FINISH(&slots[i], slots[i].state == RS_HOLDING ? RES_OK : RES_TIMEOUT);
#undef FINISH
  double secs = (double)(now_ns() - t0) / 1e9;
  qsort(lat.v, lat.n, sizeof *lat.v, cmp_u64);
  printf("{\"mode\":\"conn-rate\",\"rate\":%.1f,\"size\":%d,\"hold_ms\":%d,\"timeout_ms\":%d,\"seconds\":%.3f,"
         "\"attempted\":%llu,\"ok\":%llu,\"reset\":%llu,\"refused\":%llu,\"timeout\":%llu,\"other\":%llu,"
         "\"skipped\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
         opt_rate, opt_size, opt_hold_ms, opt_timeout_ms, secs, (unsigned long long)attempted,
         (unsigned long long)results[RES_OK], (unsigned long long)results[RES_RESET], (unsigned long long)results[RES_REFUSED],
         (unsigned long long)results[RES_TIMEOUT], (unsigned long long)results[RES_OTHER], (unsigned long long)skipped,
         percentile_us(&lat, 50), percentile_us(&lat, 99));
  return attempted > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------------- rr */

static int run_rr(void) {
  struct sockaddr_in a = target_addr();
  memset(payload, 'x', sizeof payload);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {.tv_sec = 5, .tv_usec = 0}; /* a stuck peer cannot hang us */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");

  samples_t lat = {0};
  char rbuf[MAX_SIZE];
  uint64_t trips = 0;
  uint64_t t0 = now_ns();
  uint64_t warm = (uint64_t)(opt_seconds * 1e9 / 10.0);
  if (warm > 500000000ull) warm = 500000000ull;
  uint64_t measure_from = t0 + warm;
  uint64_t deadline = measure_from + (uint64_t)(opt_seconds * 1e9);
  uint64_t now = t0;
  while (now < deadline) {
    uint64_t start = now_ns();
    if (write(fd, payload, (size_t)opt_size) != opt_size) die("write");
    int got = 0;
    while (got < opt_size) {
      ssize_t r = read(fd, rbuf, (size_t)(opt_size - got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        if (r == 0) errno = ECONNRESET;
        die("read");
      }
      got += (int)r;
    }
    now = now_ns();
    if (start >= measure_from) {
      trips++;
      samples_add(&lat, now - start);
    }
  }
  close(fd);
  double secs = (double)(now - measure_from) / 1e9;
  qsort(lat.v, lat.n, sizeof *lat.v, cmp_u64);
  printf("{\"mode\":\"rr\",\"size\":%d,\"seconds\":%.3f,\"round_trips\":%llu,\"rt_per_s\":%.1f,"
         "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
         opt_size, secs, (unsigned long long)trips, (double)trips / secs, percentile_us(&lat, 50),
         percentile_us(&lat, 99));
  return trips > 0 ? 0 : 1;
}

/* -------------------------------------------------------------------- main */

static void usage(void) {
  fputs("usage: tcpload server|conn|rr --port P [--host 127.0.0.1] [--concurrency 64] [--seconds 5]\n"
        "               [--size 64] [--sources 32] [--max-seconds 3600]\n"
        "       tcpload conn --rate R --port P [--seconds 5] [--hold-ms 0] [--timeout-ms 3000] [--count N]\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(k, "--host")) opt_host = v;
    else if (!strcmp(k, "--port")) opt_port = atoi(v);
    else if (!strcmp(k, "--concurrency")) opt_concurrency = atoi(v);
    else if (!strcmp(k, "--seconds")) opt_seconds = atof(v);
    else if (!strcmp(k, "--max-seconds")) opt_max_seconds = atof(v);
    else if (!strcmp(k, "--size")) opt_size = atoi(v);
    else if (!strcmp(k, "--sources")) opt_sources = atoi(v);
    else if (!strcmp(k, "--rate")) opt_rate = atof(v);
    else if (!strcmp(k, "--hold-ms")) opt_hold_ms = atoi(v);
    else if (!strcmp(k, "--timeout-ms")) opt_timeout_ms = atoi(v);
    else if (!strcmp(k, "--count")) opt_count = atoll(v);
    else usage();
  }
  if (opt_port < 0 || opt_port > 65535 || opt_size < 1 || opt_size > MAX_SIZE || opt_seconds <= 0 || opt_sources < 1 ||
      opt_sources > 254 || opt_rate < 0 || opt_rate > 1e6 || opt_hold_ms < 0 || opt_hold_ms > 600000 ||
      opt_timeout_ms < 1 || opt_timeout_ms > 600000 || opt_count < 0)
    usage();
  if (!strcmp(mode, "server")) return run_server();
  if (!strcmp(mode, "conn")) return opt_rate > 0 ? run_conn_rate() : run_conn();
  if (!strcmp(mode, "rr")) return run_rr();
  usage();
  return 2;
}
