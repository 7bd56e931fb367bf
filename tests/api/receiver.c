#include "receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct receiver {
  int port;
  int fd;      /* listening socket, -1 when stopped */
  int wake[2]; /* written to stop the thread */
  pthread_t thread;
  atomic_bool stopping;
  pthread_mutex_t mu;
  char secret[65];
  int default_status, default_delay_ms;
  struct receipt *got;
  int n, cap;
};

/* --- what to answer --- */

struct answer {
  int status;
  int delay_ms;
  char retry_after[64];
};

static int nth_int(json_t *list, int nth, int fallback)
{
  size_t n = json_array_size(list);
  if (n == 0)
    return fallback;
  return (int)json_integer_value(json_array_get(list, (size_t)nth < n ? (size_t)nth : n - 1));
}

static void http_date(time_t t, char out[64])
{
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* The answer to the nth request (0-based) for the event whose data is data. */
static struct answer decide(struct receiver *rv, json_t *data, int nth)
{
  struct answer a = {rv->default_status, rv->default_delay_ms, ""};
  a.status = nth_int(json_object_get(data, "answers"), nth, a.status);
  a.delay_ms = nth_int(json_object_get(data, "delay_ms"), nth, a.delay_ms);
  const char *ra = json_string_value(json_object_get(data, "retry_after"));
  if (ra && (a.status < 200 || a.status > 299)) {
    if (strncmp(ra, "date+", 5) == 0)
      http_date(time(NULL) + atoi(ra + 5), a.retry_after);
    else
      snprintf(a.retry_after, sizeof a.retry_after, "%s", ra);
  }
  return a;
}

/* --- checking a request --- */

static bool signature_valid(const char *secret, const char *header, const char *body, size_t len)
{
  long long t;
  char v1[65], hex[65];
  unsigned char mac[32];
  unsigned int mac_len = 0;

  if (!header || sscanf(header, "t=%lld,v1=%64[0-9a-f]", &t, v1) != 2 || strlen(v1) != 64)
    return false;
  if (llabs((long long)time(NULL) - t) > 300)
    return false;
  size_t cap = len + 32;
  char *msg = malloc(cap);
  int n = snprintf(msg, cap, "%lld.", t);
  memcpy(msg + n, body, len);
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n + len, mac,
       &mac_len);
  free(msg);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return mac_len == 32 && CRYPTO_memcmp(hex, v1, 64) == 0;
}

static bool body_shape_ok(json_t *body)
{
  static const char *const keys[] = {"id", "type", "created_at", "customer_id", "data"};
  if (!json_is_object(body) || json_object_size(body) != 5)
    return false;
  for (size_t i = 0; i < 5; i++)
    if (!json_object_get(body, keys[i]))
      return false;
  return json_is_integer(json_object_get(body, "id")) &&
         json_is_string(json_object_get(body, "type")) &&
         json_is_string(json_object_get(body, "created_at")) &&
         json_is_object(json_object_get(body, "data"));
}

/* --- one connection --- */

static const char *header_value(char *headers, const char *name)
{
  size_t n = strlen(name);
  for (char *line = strstr(headers, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    char *p = line + 2;
    if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
      p += n + 1;
      while (*p == ' ')
        p++;
      return p;
    }
  }
  return NULL;
}

/* Reads one request: headers (NUL-terminated, each line's CRLF replaced by NUL after
 * parsing) and body; false on a short or malformed read. */
static bool read_request(int c, char *buf, size_t cap, char **body, size_t *body_len)
{
  size_t used = 0;
  char *end = NULL;
  while (!end) {
    if (used == cap - 1)
      return false;
    ssize_t got = recv(c, buf + used, cap - 1 - used, 0);
    if (got <= 0)
      return false;
    used += (size_t)got;
    buf[used] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  end[2] = '\0'; /* headers end with the last header's CRLF */
  char *b = end + 4;
  size_t have = used - (size_t)(b - buf);
  const char *cl = header_value(buf, "Content-Length");
  size_t want = cl ? strtoul(cl, NULL, 10) : 0;
  if (want > cap - 1 - (size_t)(b - buf))
    return false;
  while (have < want) {
    ssize_t got = recv(c, b + have, want - have, 0);
    if (got <= 0)
      return false;
    have += (size_t)got;
  }
  b[want] = '\0';
  *body = b;
  *body_len = want;
  return true;
}

static void copy_value(char *out, size_t cap, const char *v)
{
  size_t n = v ? strcspn(v, "\r\n") : 0;
  if (n >= cap)
    n = cap - 1;
  memcpy(out, v ? v : "", n);
  out[n] = '\0';
}

static void serve_one(struct receiver *rv, int c)
{
  size_t cap = 1 << 16;
  char *buf = malloc(cap), *body;
  size_t len;
  struct timeval tv = {5, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!read_request(c, buf, cap, &body, &len)) {
    free(buf);
    return;
  }

  struct receipt got = {.event_id = -1, .body_id = -1, .at_ms = harness_now_ms()};
  char sig[256], event[32], type[64];
  copy_value(sig, sizeof sig, header_value(buf, "X-Ltvd-Signature"));
  copy_value(event, sizeof event, header_value(buf, "X-Ltvd-Event-Id"));
  copy_value(type, sizeof type, header_value(buf, "Content-Type"));
  if (event[0] >= '0' && event[0] <= '9')
    got.event_id = atoll(event);
  got.json_type = strcmp(type, "application/json") == 0;
  char *sp = strchr(buf, ' '), *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
  if (sp && sp2)
    snprintf(got.path, sizeof got.path, "%.*s", (int)(sp2 - sp - 1), sp + 1);
  json_t *j = json_loadb(body, len, 0, NULL);
  got.body_ok = body_shape_ok(j);
  if (json_is_integer(json_object_get(j, "id")))
    got.body_id = json_integer_value(json_object_get(j, "id"));
  copy_value(got.type, sizeof got.type, json_string_value(json_object_get(j, "type")));

  pthread_mutex_lock(&rv->mu);
  got.signature_ok = signature_valid(rv->secret, sig[0] ? sig : NULL, body, len);
  int nth = 0;
  for (int i = 0; i < rv->n; i++)
    nth += rv->got[i].event_id == got.event_id;
  struct answer a = decide(rv, json_object_get(j, "data"), nth);
  got.status = a.status;
  if (rv->n == rv->cap) {
    rv->cap = rv->cap ? 2 * rv->cap : 64;
    rv->got = realloc(rv->got, (size_t)rv->cap * sizeof *rv->got);
  }
  rv->got[rv->n++] = got;
  pthread_mutex_unlock(&rv->mu);
  json_decref(j);
  free(buf);

  for (int waited = 0; waited < a.delay_ms && !atomic_load(&rv->stopping); waited += 20)
    harness_sleep_ms(20);
  char reply[256];
  int n = snprintf(reply, sizeof reply,
                   "HTTP/1.1 %d Test\r\nContent-Length: 0\r\nConnection: close\r\n%s%s%s\r\n",
                   a.status, a.retry_after[0] ? "Retry-After: " : "", a.retry_after,
                   a.retry_after[0] ? "\r\n" : "");
  send(c, reply, (size_t)n, MSG_NOSIGNAL);
}

static void *loop(void *arg)
{
  struct receiver *rv = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = rv->fd, .events = POLLIN}, {.fd = rv->wake[0], .events = POLLIN}};
    if (poll(p, 2, -1) < 0)
      continue;
    if (p[1].revents)
      break;
    int c = accept(rv->fd, NULL, NULL);
    if (c >= 0) {
      serve_one(rv, c);
      close(c);
    }
  }
  return NULL;
}

/* --- the public face --- */

struct receiver *receiver_new(int default_status)
{
  struct receiver *rv = calloc(1, sizeof *rv);
  rv->fd = -1;
  rv->default_status = default_status;
  pthread_mutex_init(&rv->mu, NULL);
  return rv;
}

static int listen_on(int port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void receiver_start(struct receiver *rv, int port)
{
  ck_assert_msg(rv->fd < 0, "the receiver is listening already");
  if (port) {
    rv->fd = listen_on(port);
  } else {
    for (port = RECEIVER_PORT_FIRST; port <= RECEIVER_PORT_LAST && rv->fd < 0; port++)
      rv->fd = listen_on(port);
    port--;
  }
  ck_assert_msg(rv->fd >= 0, "cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
  rv->port = port;
  ck_assert_int_eq(pipe(rv->wake), 0);
  atomic_store(&rv->stopping, false);
  ck_assert_int_eq(pthread_create(&rv->thread, NULL, loop, rv), 0);
}

void receiver_stop(struct receiver *rv)
{
  if (rv->fd < 0)
    return;
  atomic_store(&rv->stopping, true);
  ck_assert_int_eq(write(rv->wake[1], "x", 1), 1);
  pthread_join(rv->thread, NULL);
  close(rv->fd);
  close(rv->wake[0]);
  close(rv->wake[1]);
  rv->fd = -1;
}

void receiver_free(struct receiver *rv)
{
  if (!rv)
    return;
  receiver_stop(rv);
  pthread_mutex_destroy(&rv->mu);
  free(rv->got);
  free(rv);
}

int receiver_port(const struct receiver *rv)
{
  return rv->port;
}

const char *receiver_url(const struct receiver *rv, const char *path)
{
  return harness_fmt("http://127.0.0.1:%d%s", rv->port, path);
}

void receiver_set_secret(struct receiver *rv, const char *secret)
{
  pthread_mutex_lock(&rv->mu);
  snprintf(rv->secret, sizeof rv->secret, "%s", secret);
  pthread_mutex_unlock(&rv->mu);
}

void receiver_set_default(struct receiver *rv, int status, int delay_ms)
{
  pthread_mutex_lock(&rv->mu);
  rv->default_status = status;
  rv->default_delay_ms = delay_ms;
  pthread_mutex_unlock(&rv->mu);
}

int receiver_count(struct receiver *rv)
{
  pthread_mutex_lock(&rv->mu);
  int n = rv->n;
  pthread_mutex_unlock(&rv->mu);
  return n;
}

int receiver_count_event(struct receiver *rv, long long event_id, int status)
{
  int n = 0;
  pthread_mutex_lock(&rv->mu);
  for (int i = 0; i < rv->n; i++)
    n += rv->got[i].event_id == event_id && (status == 0 || rv->got[i].status == status);
  pthread_mutex_unlock(&rv->mu);
  return n;
}

struct receipt receiver_get(struct receiver *rv, int i)
{
  pthread_mutex_lock(&rv->mu);
  ck_assert_int_lt(i, rv->n);
  struct receipt r = rv->got[i];
  pthread_mutex_unlock(&rv->mu);
  return r;
}
