#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_signals_stmts[] = {
    {NULL, NULL},
};
