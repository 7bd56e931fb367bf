#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_units_stmts[] = {
    {NULL, NULL},
};
