#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_settings_stmts[] = {
    {NULL, NULL},
};
