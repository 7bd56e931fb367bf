/* The SQL of the settings: one row holding the settings of SPEC section 4 as JSON. */
#include "ltvd/catalog_db.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"

#include <stdlib.h>

#define COLUMNS "data::text, version, ltvd_ts(updated_at)"

const struct ltvd_stmt ltvd_db_settings_stmts[] = {
    {"settings_get", "SELECT " COLUMNS " FROM settings"},
    {"settings_lock", "SELECT " COLUMNS " FROM settings FOR UPDATE"},
    {"settings_update",
     "UPDATE settings SET data = $1::jsonb, updated_at = $2, version = version + 1 "
     "RETURNING " COLUMNS},
    {NULL, NULL},
};

PGresult *ltvd_db_settings_get(PGconn *c, bool for_update)
{
  return ltvd_db_run(c, for_update ? "settings_lock" : "settings_get", 0, NULL);
}

PGresult *ltvd_db_settings_update(PGconn *c, const json_t *data)
{
  char ts[32];
  char *text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(17));

  ltvd_clock_timestamp(ts);
  PGresult *res = LTVD_DB_RUN(c, "settings_update", text, ts);
  free(text);
  return res;
}
