#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_deals_stmts[] = {
    {NULL, NULL},
};
