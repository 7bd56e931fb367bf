#include <string.h>

#include "ltvd/csv.h"
#include "unit.h"

/* The records of a parse as "a|b|c" lines joined by "/", and their end offsets. */
struct collected {
  char text[1024];
  uint64_t ends[16];
  int n;
};

static int collect(void *ctx, char **fields, size_t n, uint64_t end)
{
  struct collected *c = ctx;

  if (c->n > 0)
    strcat(c->text, "/");
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      strcat(c->text, "|");
    strcat(c->text, fields[i]);
  }
  c->ends[c->n++] = end;
  return 0;
}

/* Parses s fed in pieces of `step` bytes; the parse status. */
static int parse(const char *s, size_t step, struct collected *c)
{
  struct ltvd_csv p;
  size_t len = strlen(s);
  int rc = 0;

  memset(c, 0, sizeof *c);
  ltvd_csv_init(&p, collect, c);
  for (size_t i = 0; i < len && rc == 0; i += step)
    rc = ltvd_csv_feed(&p, s + i, len - i < step ? len - i : step);
  if (rc == 0)
    rc = ltvd_csv_finish(&p);
  ltvd_csv_free(&p);
  return rc;
}

/* The same records whatever the piece size. */
static void expect(const char *in, const char *want)
{
  struct collected c;

  for (size_t step = 1; step <= strlen(in) + 1; step++) {
    ck_assert_int_eq(parse(in, step, &c), 0);
    ck_assert_msg(strcmp(c.text, want) == 0, "step %zu: %s gave %s", step, in, c.text);
  }
}

START_TEST(plain_records)
{
  expect("a,b,c\n1,2,3\n", "a|b|c/1|2|3");
  expect("a,b\n1,2", "a|b/1|2");
  expect("a,,c\n", "a||c");
  expect("a,b,\n", "a|b|");
  expect("a,b,", "a|b|");
}
END_TEST

START_TEST(quoted_fields)
{
  expect("\"a,b\",c\n", "a,b|c");
  expect("\"say \"\"hi\"\"\",x\n", "say \"hi\"|x");
  expect("\"two\nlines\",x\n", "two\nlines|x");
  expect("\"\",x\n", "|x");
  expect("x,\"y\"", "x|y");
  expect("x,\"a\r\nb\"\r\n", "x|a\r\nb");
}
END_TEST

START_TEST(line_ends_bom_and_blank_lines)
{
  expect("a,b\r\n1,2\r\n", "a|b/1|2");
  expect("a,b\r1,2\r", "a|b/1|2");
  expect("\xEF\xBB\xBF"
         "a,b\n1,2\n",
         "a|b/1|2");
  expect("\xEF\xBB"
         "x\n",
         "\xEF\xBB"
         "x");
  expect("\n\na,b\n\n\r\n1,2\n\n", "a|b/1|2");
  expect("", "");
}
END_TEST

START_TEST(a_quoted_empty_line_is_a_record)
{
  expect("a\n\"\"\nb\n", "a//b");
}
END_TEST

START_TEST(end_offsets_follow_line_ends)
{
  struct collected c;

  ck_assert_int_eq(parse("a,b\r\n\"x\ny\",2\n3,4", 3, &c), 0);
  ck_assert_int_eq(c.n, 3);
  ck_assert_int_eq(c.ends[0], 4); /* the CR; its LF starts a blank line */
  ck_assert_int_eq(c.ends[1], 13);
  ck_assert_int_eq(c.ends[2], 16);
}
END_TEST

START_TEST(malformed_input_is_refused)
{
  struct collected c;

  ck_assert_int_eq(parse("a,b\"c\n", 1, &c), LTVD_CSV_SYNTAX);
  ck_assert_int_eq(parse("\"a\"b\n", 2, &c), LTVD_CSV_SYNTAX);
  ck_assert_int_eq(parse("\"never closed\n", 4, &c), LTVD_CSV_SYNTAX);
}
END_TEST

static int stop_at_second(void *ctx, char **fields, size_t n, uint64_t end)
{
  int *count = ctx;
  return ++*count == 2 ? 7 : 0;
}

START_TEST(a_callback_can_stop_the_parse)
{
  struct ltvd_csv p;
  int count = 0;

  ltvd_csv_init(&p, stop_at_second, &count);
  ck_assert_int_eq(ltvd_csv_feed(&p, "a\nb\nc\n", 6), 7);
  ck_assert_int_eq(count, 2);
  ltvd_csv_free(&p);
}
END_TEST

START_TEST(ndjson_lines)
{
  const char *in = "{\"a\":1}\r\n\n  \n{\"b\":2}";
  size_t pos = 0, n;
  const char *line;

  ck_assert(ltvd_ndjson_next(in, strlen(in), &pos, &line, &n));
  ck_assert_int_eq(n, 7);
  ck_assert(strncmp(line, "{\"a\":1}", n) == 0);
  ck_assert(ltvd_ndjson_next(in, strlen(in), &pos, &line, &n));
  ck_assert(strncmp(line, "{\"b\":2}", n) == 0 && n == 7);
  ck_assert(!ltvd_ndjson_next(in, strlen(in), &pos, &line, &n));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("csv");
  TCase *tc = tcase_create("csv");

  ADD(tc, plain_records);
  ADD(tc, quoted_fields);
  ADD(tc, line_ends_bom_and_blank_lines);
  ADD(tc, a_quoted_empty_line_is_a_record);
  ADD(tc, end_offsets_follow_line_ends);
  ADD(tc, malformed_input_is_refused);
  ADD(tc, a_callback_can_stop_the_parse);
  ADD(tc, ndjson_lines);
  suite_add_tcase(s, tc);
  return s;
}
