#include <stdio.h>
#include <string.h>

#include "ltvd/auth.h"
#include "ltvd/cli.h"
#include "ltvd/db.h"

bool ltvd_cli_wants_help(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return true;
  return false;
}

static PGconn *open_db(const struct ltvd_config *cfg)
{
  char err[512];

  if (cfg->database_url == NULL) {
    fprintf(stderr, "ltvd: LTVD_DATABASE_URL is not set\n");
    return NULL;
  }
  PGconn *c = ltvd_db_connect(cfg->database_url, err, sizeof err);
  if (c == NULL)
    fprintf(stderr, "ltvd: cannot connect to the database: %s\n", err);
  return c;
}

static void print_line(const char *line) { printf("%s\n", line); }

int ltvd_cli_migrate(const struct ltvd_config *cfg, int argc, char **argv)
{
  char err[512];

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("usage: ltvd migrate\n\nApplies the pending migrations to LTVD_DATABASE_URL, "
           "each in its own transaction.\n");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "ltvd migrate: unexpected argument \"%s\"\n", argv[1]);
    return 2;
  }
  PGconn *c = open_db(cfg);
  if (c == NULL)
    return 1;
  bool ok = ltvd_db_migrate(c, print_line, err, sizeof err);
  if (ok)
    printf("schema at version %d\n", ltvd_db_schema_version(c));
  else
    fprintf(stderr, "ltvd migrate: %s\n", err);
  PQfinish(c);
  return ok ? 0 : 1;
}

static const char key_usage[] =
    "usage: ltvd key create --scope read|write|admin --name NAME\n\n"
    "Creates an API key and prints it once; only its SHA-256 hash is stored.\n";

int ltvd_cli_key(const struct ltvd_config *cfg, int argc, char **argv)
{
  const char *name = NULL, *scope_name = NULL;
  enum ltvd_scope scope;

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("%s", key_usage);
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "create") != 0) {
    fprintf(stderr, "%s", key_usage);
    return 2;
  }
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc)
      scope_name = argv[++i];
    else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      name = argv[++i];
    else {
      fprintf(stderr, "ltvd key create: unexpected argument \"%s\"\n%s", argv[i], key_usage);
      return 2;
    }
  }
  if (name == NULL || *name == '\0' || strlen(name) > 100 || scope_name == NULL ||
      !ltvd_scope_parse(scope_name, &scope)) {
    fprintf(stderr, "%s", key_usage);
    return 2;
  }
  PGconn *c = open_db(cfg);
  if (c == NULL)
    return 1;
  char secret[70];
  int64_t id;
  bool ok = ltvd_db_prepare_all(c) && ltvd_auth_create_key(c, name, scope, secret, &id);
  if (ok)
    printf("%s\n", secret);
  else
    fprintf(stderr, "ltvd key create: %s\n", ltvd_db_last_message());
  PQfinish(c);
  return ok ? 0 : 1;
}
