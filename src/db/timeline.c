#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_timeline_stmts[] = {
    {NULL, NULL},
};
