/* `ltvd demo`, private to src/cli/demo*.c: the generated company as one column array per
 * table column (PostgreSQL array literals), loaded by demo.c with one
 * INSERT ... SELECT FROM unnest(...) per table. */
#ifndef LTVD_CLI_DEMO_H
#define LTVD_CLI_DEMO_H

#include <stddef.h>

#define DEMO_MAX_COLS 13

/* One column: the text of a PostgreSQL array literal being built ("{a,b,NULL"). */
struct demo_col {
  char *p;
  size_t len, cap;
};

struct demo_table {
  int ncols;
  long rows;
  struct demo_col cols[DEMO_MAX_COLS];
};

/* Column order of each table, as demo.c's INSERT statements expect them. */
enum { U_KEY, U_NAME, U_TS, U_NCOLS };
enum { P_KEY, P_NAME, P_UNIT, P_FAMILY, P_TIER, P_PRICE, P_MARGIN, P_TS, P_NCOLS };
enum {
  C_EXT, C_NAME, C_INDUSTRY, C_EMPLOYEES, C_REVENUE, C_CHANNEL, C_COUNTRY, C_PROPS,
  C_CREATED, C_NCOLS
};
enum {
  D_EXT, D_CUSTOMER, D_PIPELINE, D_STAGE, D_PRODUCT, D_TYPE, D_AMOUNT, D_MRR, D_EXPECTED,
  D_CLOSED, D_CONTRACT_END, D_CREATED, D_UPDATED, D_NCOLS
};
enum { H_DEAL, H_PIPELINE, H_STAGE, H_ENTERED, H_NCOLS };
enum { M_CUSTOMER, M_PRODUCT, M_MONTH, M_MRR, M_NCOLS };
enum { S_CUSTOMER, S_TYPE, S_OCCURRED, S_VALUE, S_PRODUCT, S_EVENT, S_CREATED, S_NCOLS };

struct demo_data {
  struct demo_table units, products, customers, deals, history, mrr, signals;
};

/* Generates the demo company for today (YYYY-MM-DD): the same data for the same day.
 * Every timestamp lies before today's midnight (UTC). */
void demo_generate(struct demo_data *d, const char *today);

/* The finished array literal of a column ("{...}"); valid until demo_free. */
const char *demo_col_text(struct demo_col *c);

void demo_free(struct demo_data *d);

#endif
