/* Files compiled into the binary by scripts/embed.py: the migrations and the OpenAPI
 * document (converted from openapi/ltvd.yaml to JSON at build time). */
#ifndef LTVD_EMBEDDED_H
#define LTVD_EMBEDDED_H

#include <stddef.h>

struct ltvd_embedded_file {
  const char *name;
  const char *data;
  size_t len;
};

extern const struct ltvd_embedded_file ltvd_embedded_migrations[];
extern const size_t ltvd_embedded_migrations_count;
extern const char ltvd_embedded_openapi_json[];
extern const size_t ltvd_embedded_openapi_json_len;

#endif
