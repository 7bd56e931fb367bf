/* The subcommands other than serve (which lives in main.c). Each returns the process
 * exit status: 0 success, 1 failure, 2 usage error. */
#ifndef LTVD_CLI_H
#define LTVD_CLI_H

#include "ltvd/config.h"

int ltvd_cli_migrate(const struct ltvd_config *cfg, int argc, char **argv);
int ltvd_cli_key(const struct ltvd_config *cfg, int argc, char **argv);
int ltvd_cli_demo(const struct ltvd_config *cfg, int argc, char **argv);
int ltvd_cli_clv_fit(const struct ltvd_config *cfg, int argc, char **argv);
int ltvd_cli_recompute(const struct ltvd_config *cfg, int argc, char **argv);
/* Sends a file to the API (no database of its own): see src/cli/import.c. */
int ltvd_cli_import(int argc, char **argv);

/* True when argv holds --help or -h (after the subcommand). */
bool ltvd_cli_wants_help(int argc, char **argv);

#endif
