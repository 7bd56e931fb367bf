#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_mrr_stmts[] = {
    {NULL, NULL},
};
