/* ltvd import KIND FILE: a file of any size sent to POST /v1/import/{kind} in chunks.
 *
 * The file is read in blocks and cut only where a record ends (the CSV parser finds
 * the ends, so a quoted field's line break is never a cut); each chunk is at most the
 * server's 10 MiB body limit and, for CSV, starts with the file's header row. Every
 * chunk is an import (and a transaction) of its own: the first refused one stops the
 * run, its errors printed with row numbers of the whole file; the chunks before it stay
 * written, and running the same file again is safe since imports are upserts.
 *
 * With --jobs N, up to N chunks are in flight at once (libcurl's multi interface, one
 * connection each), so that the server and PostgreSQL write one chunk while the next is
 * read and checked. A refused chunk then stops the sending of new ones; the chunks in
 * flight beside it finish and may be written. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ltvd/cli.h"
#include "ltvd/csv.h"
#include "ltvd/util.h"

#define MAX_CHUNK (10 * 1024 * 1024)
#define BLOCK (1024 * 1024)
#define MAX_JOBS 16

static const char import_usage[] =
    "usage: ltvd import customers|deals|mrr|signals FILE [--url URL] [--key KEY] "
    "[--chunk-rows N] [--jobs N]\n\n"
    "Loads FILE (CSV with a header row, or NDJSON when it ends in .ndjson or .jsonl)\n"
    "through POST /v1/import/KIND in chunks of at most 10 MiB (and N rows when given).\n"
    "Each chunk is a transaction of its own: when one is refused, its errors are printed\n"
    "with the file's row numbers and the earlier chunks stay written; imports are\n"
    "upserts, so running the file again is safe.\n"
    "--jobs N sends up to N chunks at once (default 1); a refused chunk stops the\n"
    "sending, and the chunks sent beside it may be written too.\n"
    "--url defaults to LTVD_URL, else http://127.0.0.1:8080; --key to LTVD_KEY.\n";

/* One chunk's request. */
struct transfer {
  CURL *curl;
  bool busy;
  char *body;
  struct curl_slist *headers;
  char *reply;
  size_t reply_len;
  long chunk;     /* 1-based */
  long first_row; /* the file's row number of its first row */
  long rows;
};

struct chunker {
  const char *url, *key, *type, *kind;
  bool csv;
  long chunk_rows;
  int jobs;
  char *win; /* file bytes from win_off on */
  size_t win_len, win_cap;
  uint64_t win_off;
  char *header; /* the CSV header row's bytes */
  size_t header_len;
  bool have_header;
  uint64_t chunk_start, last_end; /* file offsets */
  long rows;                      /* rows in the chunk being built */
  long rows_queued;               /* rows of the chunks handed to a transfer */
  long rows_sent;                 /* rows of the chunks written */
  long chunks_queued, chunks;     /* chunks handed to a transfer, chunks written */
  long long inserted, updated, skipped;
  uint64_t file_size;
  bool progress;
  bool failed;
  CURLM *multi;
  struct transfer transfers[MAX_JOBS];
};

static size_t on_reply(char *data, size_t size, size_t n, void *p)
{
  struct transfer *t = p;
  char *grown = realloc(t->reply, t->reply_len + size * n + 1);

  if (grown == NULL)
    return 0;
  memcpy(grown + t->reply_len, data, size * n);
  t->reply = grown;
  t->reply_len += size * n;
  t->reply[t->reply_len] = '\0';
  return size * n;
}

static void show_progress(struct chunker *k)
{
  if (!k->progress)
    return;
  double share = k->file_size ? (double)k->last_end / (double)k->file_size : 1;
  int filled = (int)(share * 40);
  fprintf(stderr, "\r[%.*s%*s] %3d%%  %ld rows", filled, "########################################",
          40 - filled, "", (int)(share * 100), k->rows_sent);
  fflush(stderr);
}

static void print_errors(struct chunker *k, const struct transfer *t, json_t *problem)
{
  size_t i;
  json_t *e;

  if (k->progress)
    fputc('\n', stderr);
  fprintf(stderr, "ltvd import: chunk %ld (rows %ld to %ld) was refused: %s\n", t->chunk,
          t->first_row, t->first_row + t->rows - 1,
          json_string_value(json_object_get(problem, "detail")));
  json_array_foreach(json_object_get(problem, "errors"), i, e)
  {
    json_t *row = json_object_get(e, "row");
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *message = json_string_value(json_object_get(e, "message"));
    if (json_is_integer(row))
      fprintf(stderr, "  row %lld", (long long)(t->first_row - 1 + json_integer_value(row)));
    else
      fprintf(stderr, "  header");
    fprintf(stderr, ": %s%s%s\n", field && *field ? field : "", field && *field ? " " : "",
            message ? message : "");
  }
  if (k->jobs > 1)
    fprintf(stderr, "the chunks before it, and maybe some sent beside it, were written; fix the "
                    "file and run it again (imports are upserts)\n");
  else if (t->first_row > 1)
    fprintf(stderr,
            "the %ld rows before this chunk were written; fix the file and run it "
            "again (imports are upserts)\n",
            t->first_row - 1);
}

/* The answer to transfer t, whose request ended with rc. */
static void finish(struct chunker *k, struct transfer *t, CURLcode rc)
{
  char url[2048];
  long status = 0;

  snprintf(url, sizeof url, "%s/v1/import/%s", k->url, k->kind);
  curl_multi_remove_handle(k->multi, t->curl);
  curl_slist_free_all(t->headers);
  free(t->body);
  t->headers = NULL;
  t->body = NULL;
  t->busy = false;
  if (rc != CURLE_OK) {
    fprintf(stderr, "%sltvd import: %s: %s\n", k->progress ? "\n" : "", url,
            curl_easy_strerror(rc));
    k->failed = true;
    return;
  }
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  json_t *reply = json_loadb(t->reply ? t->reply : "", t->reply_len, 0, NULL);
  if (status == 200) {
    k->inserted += json_integer_value(json_object_get(reply, "inserted"));
    k->updated += json_integer_value(json_object_get(reply, "updated"));
    k->skipped += json_integer_value(json_object_get(reply, "skipped"));
    k->rows_sent += t->rows;
    k->chunks++;
    show_progress(k);
  } else if (status == 422) {
    print_errors(k, t, reply);
    k->failed = true;
  } else {
    fprintf(stderr, "%sltvd import: chunk %ld: HTTP %ld: %s\n", k->progress ? "\n" : "", t->chunk,
            status,
            reply ? json_string_value(json_object_get(reply, "detail")) : "(no problem body)");
    k->failed = true;
  }
  json_decref(reply);
}

/* Moves the transfers on, waiting for one to progress when wait is set; finishes those
 * that ended. */
static void pump(struct chunker *k, bool wait)
{
  int running, left;
  CURLMsg *m;

  curl_multi_perform(k->multi, &running);
  if (wait && running > 0) {
    curl_multi_poll(k->multi, NULL, 0, 1000, NULL);
    curl_multi_perform(k->multi, &running);
  }
  while ((m = curl_multi_info_read(k->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE)
      continue;
    for (int i = 0; i < k->jobs; i++)
      if (k->transfers[i].busy && k->transfers[i].curl == m->easy_handle) {
        finish(k, &k->transfers[i], m->data.result);
        break;
      }
  }
}

static struct transfer *free_transfer(struct chunker *k)
{
  for (;;) {
    for (int i = 0; i < k->jobs; i++)
      if (!k->transfers[i].busy)
        return &k->transfers[i];
    pump(k, true);
  }
}

static bool any_busy(const struct chunker *k)
{
  for (int i = 0; i < k->jobs; i++)
    if (k->transfers[i].busy)
      return true;
  return false;
}

/* Sends the chunk of the file bytes [from, to) once a transfer is free; false once a
 * chunk failed. */
static bool send_chunk(struct chunker *k, uint64_t from, uint64_t to)
{
  size_t head = k->csv ? k->header_len : 0, len = (size_t)(to - from);
  char auth[1024], type[64], url[2048];
  struct transfer *t = free_transfer(k);

  if (k->failed)
    return false;
  t->body = malloc(head + len + 1);
  if (t->body == NULL)
    abort();
  memcpy(t->body, k->header, head);
  memcpy(t->body + head, k->win + (from - k->win_off), len);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", k->key);
  snprintf(type, sizeof type, "Content-Type: %s", k->type);
  snprintf(url, sizeof url, "%s/v1/import/%s", k->url, k->kind);
  t->headers = curl_slist_append(NULL, auth);
  t->headers = curl_slist_append(t->headers, type);
  t->headers = curl_slist_append(t->headers, "Expect:");
  t->reply_len = 0;
  t->chunk = ++k->chunks_queued;
  t->first_row = k->rows_queued + 1;
  t->rows = k->rows;
  k->rows_queued += k->rows;
  k->rows = 0;
  curl_easy_setopt(t->curl, CURLOPT_URL, url);
  curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, t->body);
  curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(head + len));
  curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_reply);
  curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
  t->busy = true;
  curl_multi_add_handle(k->multi, t->curl);
  pump(k, false);
  return !k->failed;
}

/* A record ends at file offset end: cut a chunk before it when it would not fit. */
static int on_record(struct chunker *k, uint64_t end)
{
  if (k->csv && !k->have_header) {
    k->header_len = (size_t)end;
    k->header = malloc(k->header_len + 1);
    if (k->header == NULL)
      abort();
    memcpy(k->header, k->win, k->header_len); /* nothing slid yet */
    /* a header ended by a lone CR still needs a line end before the rows */
    k->header[k->header_len++] = '\n';
    k->have_header = true;
    k->chunk_start = k->last_end = end;
    return 0;
  }
  size_t head = k->csv ? k->header_len : 0;
  if (head + (end - k->chunk_start) > MAX_CHUNK) {
    if (k->rows == 0) {
      fprintf(stderr, "ltvd import: row %ld alone exceeds the 10 MiB request limit\n",
              k->rows_queued + 1);
      k->failed = true;
      return 1;
    }
    if (!send_chunk(k, k->chunk_start, k->last_end))
      return 1;
    k->chunk_start = k->last_end;
  }
  k->rows++;
  k->last_end = end;
  if (k->chunk_rows > 0 && k->rows == k->chunk_rows) {
    if (!send_chunk(k, k->chunk_start, end))
      return 1;
    k->chunk_start = end;
  }
  return 0;
}

static int csv_record(void *ctx, char **fields, size_t n, uint64_t end)
{
  return on_record(ctx, end);
}

/* NDJSON records are its non-blank lines; returns non-zero to stop. */
static int ndjson_lines(struct chunker *k, uint64_t *scanned)
{
  while (*scanned < k->win_off + k->win_len) {
    const char *from = k->win + (*scanned - k->win_off);
    const char *nl = memchr(from, '\n', (size_t)(k->win_off + k->win_len - *scanned));
    if (nl == NULL)
      return 0;
    uint64_t end = *scanned + (uint64_t)(nl - from) + 1;
    bool blank = strspn(from, " \t\r") >= (size_t)(nl - from);
    *scanned = end;
    if (!blank && on_record(k, end))
      return 1;
  }
  return 0;
}

/* Drops the window's bytes before the chunk being built. */
static void slide(struct chunker *k)
{
  size_t drop = (size_t)(k->chunk_start - k->win_off);

  if (k->csv && !k->have_header)
    return;
  memmove(k->win, k->win + drop, k->win_len - drop);
  k->win_len -= drop;
  k->win_off += drop;
}

static int run(struct chunker *k, FILE *f)
{
  struct ltvd_csv p;
  uint64_t scanned = 0;
  int rc = 0;

  ltvd_csv_init(&p, csv_record, k);
  for (;;) {
    if (k->win_cap - k->win_len < BLOCK + 1) { /* + 1: the NUL after the data */
      k->win_cap = k->win_cap ? k->win_cap * 2 : 4 * BLOCK;
      k->win = realloc(k->win, k->win_cap);
      if (k->win == NULL)
        abort();
    }
    size_t got = fread(k->win + k->win_len, 1, BLOCK, f);
    if (got == 0)
      break;
    k->win_len += got;
    k->win[k->win_len] = '\0';
    rc = k->csv ? ltvd_csv_feed(&p, k->win + k->win_len - got, got) : ndjson_lines(k, &scanned);
    if (rc)
      break;
    slide(k);
  }
  if (rc == 0 && !ferror(f)) {
    if (k->csv)
      rc = ltvd_csv_finish(&p);
    else if (scanned < k->win_off + k->win_len) /* a last line without its LF */
      rc = k->win_len > 0 && strspn(k->win + (scanned - k->win_off), " \t\r") <
                                 (size_t)(k->win_off + k->win_len - scanned)
               ? on_record(k, k->win_off + k->win_len)
               : 0;
  }
  if (rc == LTVD_CSV_SYNTAX) {
    fprintf(stderr, "ltvd import: row %ld is not valid CSV: %s\n", k->rows_queued + k->rows + 1,
            p.error);
    k->failed = true;
  }
  ltvd_csv_free(&p);
  if (!k->failed && k->rows > 0)
    send_chunk(k, k->chunk_start, k->last_end);
  while (any_busy(k))
    pump(k, true);
  return k->failed ? 1 : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int ltvd_cli_import(int argc, char **argv)
{
  struct chunker k = {.url = getenv("LTVD_URL"), .key = getenv("LTVD_KEY"), .jobs = 1};
  const char *file = NULL;

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("%s", import_usage);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
      k.url = argv[++i];
    else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
      k.key = argv[++i];
    else if (strcmp(argv[i], "--chunk-rows") == 0 && i + 1 < argc) {
      int64_t n;
      if (!ltvd_parse_int64(argv[++i], 1, 100000000, &n))
        goto usage_error;
      k.chunk_rows = (long)n;
    } else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
      int64_t n;
      if (!ltvd_parse_int64(argv[++i], 1, MAX_JOBS, &n))
        goto usage_error;
      k.jobs = (int)n;
    } else if (k.kind == NULL && argv[i][0] != '-')
      k.kind = argv[i];
    else if (file == NULL && argv[i][0] != '-')
      file = argv[i];
    else
      goto usage_error;
  }
  if (k.kind == NULL || file == NULL)
    goto usage_error;
  if (k.url == NULL || *k.url == '\0')
    k.url = "http://127.0.0.1:8080";
  if (k.key == NULL || *k.key == '\0') {
    fprintf(stderr, "ltvd import: no API key: give --key or set LTVD_KEY\n");
    return 2;
  }
  FILE *f = fopen(file, "rb");
  if (f == NULL) {
    perror(file);
    return 1;
  }
  struct stat st;
  k.file_size = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
  k.csv = !ends_with(file, ".ndjson") && !ends_with(file, ".jsonl");
  k.type = k.csv ? "text/csv" : "application/x-ndjson";
  k.progress = isatty(STDERR_FILENO);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  k.multi = curl_multi_init();
  for (int i = 0; i < k.jobs; i++)
    if ((k.transfers[i].curl = curl_easy_init()) == NULL)
      abort();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int status = run(&k, f);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fclose(f);
  for (int i = 0; i < k.jobs; i++) {
    curl_easy_cleanup(k.transfers[i].curl);
    free(k.transfers[i].reply);
  }
  curl_multi_cleanup(k.multi);
  curl_global_cleanup();
  if (k.progress && status == 0)
    fputc('\n', stderr);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%s: %ld rows in %ld chunks, %.2f s: inserted %lld, updated %lld, skipped %lld\n",
         status == 0 ? "imported" : "stopped", k.rows_sent, k.chunks, s, k.inserted, k.updated,
         k.skipped);
  free(k.win);
  free(k.header);
  return status;

usage_error:
  fprintf(stderr, "%s", import_usage);
  return 2;
}
