/*
 * sqlcheck: prints the SQL of the ltvd statements the baseline copies, one
 * "name<TAB>sql" line each, in the order named on the command line.  bench.sh compares
 * its output with `baseline --print-sql` before measuring, so that a change to ltvd's
 * SQL that the baseline's copy misses stops the benchmark instead of skewing it.
 *
 * Usage: sqlcheck NAME...     (exit 1 when a name is not one of ltvd's statements)
 */
#include <stdio.h>
#include <string.h>

#include "ltvd/db.h"

static const struct ltvd_stmt *const sets[] = {ltvd_db_core_stmts, ltvd_db_customer_stmts,
                                               ltvd_db_deals_stmts};

int main(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    const struct ltvd_stmt *found = NULL;
    for (size_t s = 0; s < sizeof sets / sizeof *sets && !found; s++)
      for (const struct ltvd_stmt *st = sets[s]; st->name && !found; st++)
        if (strcmp(st->name, argv[i]) == 0)
          found = st;
    if (found == NULL) {
      fprintf(stderr, "sqlcheck: ltvd has no statement %s\n", argv[i]);
      return 1;
    }
    printf("%s\t%s\n", found->name, found->sql);
  }
  return 0;
}
