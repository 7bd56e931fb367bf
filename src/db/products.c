#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_products_stmts[] = {
    {NULL, NULL},
};
