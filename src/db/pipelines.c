#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_pipelines_stmts[] = {
    {NULL, NULL},
};
