#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_api_keys_stmts[] = {
    {NULL, NULL},
};
