/* Migrations: the numbered files of migrations/, embedded in the binary, applied in
 * order, each in its own transaction with its row in schema_migrations. An advisory lock
 * keeps two processes from migrating at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/db.h"
#include "ltvd/embedded.h"

static int file_version(const struct ltvd_embedded_file *f) { return atoi(f->name); }

int ltvd_db_known_schema_version(void)
{
  int v = 0;

  for (size_t i = 0; i < ltvd_embedded_migrations_count; i++)
    if (file_version(&ltvd_embedded_migrations[i]) > v)
      v = file_version(&ltvd_embedded_migrations[i]);
  return v;
}

int ltvd_db_schema_version(PGconn *c)
{
  PGresult *res = ltvd_db_exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (res == NULL)
    return -1;
  bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
  PQclear(res);
  if (!exists)
    return 0;
  if ((res = ltvd_db_exec(c, "SELECT coalesce(max(version), 0) FROM schema_migrations")) == NULL)
    return -1;
  int v = atoi(PQgetvalue(res, 0, 0));
  PQclear(res);
  return v;
}

struct apply_ctx {
  const struct ltvd_embedded_file *file;
};

static enum ltvd_tx_outcome apply_one(PGconn *c, void *p)
{
  const struct ltvd_embedded_file *f = ((struct apply_ctx *) p)->file;
  char record[256];

  /* The file names are the binary's own (digits, letters, '_' and '.'). */
  snprintf(record, sizeof record,
           "INSERT INTO schema_migrations (version, name) VALUES (%d, '%s')",
           file_version(f), f->name);
  PQclear(ltvd_db_exec(c, f->data));
  PQclear(ltvd_db_exec(c, record));
  return LTVD_TX_COMMIT;
}

static bool plain(PGconn *c, const char *sql, char *err, size_t errlen)
{
  PGresult *res = ltvd_db_exec(c, sql);

  if (res == NULL) {
    snprintf(err, errlen, "%s", ltvd_db_last_message());
    return false;
  }
  PQclear(res);
  return true;
}

bool ltvd_db_migrate(PGconn *c, void (*out)(const char *line), char *err, size_t errlen)
{
  char line[256];
  bool ok = false;

  if (!plain(c, "SELECT pg_advisory_lock(7418001)", err, errlen))
    return false;
  if (!plain(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
             err, errlen))
    goto done;
  int current = ltvd_db_schema_version(c);
  if (current < 0) {
    snprintf(err, errlen, "%s", ltvd_db_last_message());
    goto done;
  }
  if (current > ltvd_db_known_schema_version()) {
    snprintf(err, errlen, "database schema version %d is newer than this binary's %d",
             current, ltvd_db_known_schema_version());
    goto done;
  }
  for (size_t i = 0; i < ltvd_embedded_migrations_count; i++) {
    const struct ltvd_embedded_file *f = &ltvd_embedded_migrations[i];
    if (file_version(f) <= current)
      continue;
    struct apply_ctx ctx = {f};
    if (ltvd_db_transaction(c, apply_one, &ctx) != LTVD_DB_OK) {
      snprintf(err, errlen, "migration %s failed: %s", f->name, ltvd_db_last_message());
      goto done;
    }
    if (out) {
      snprintf(line, sizeof line, "applied %s", f->name);
      out(line);
    }
  }
  ok = true;
done:
  PQclear(PQexec(c, "SELECT pg_advisory_unlock(7418001)"));
  return ok;
}
