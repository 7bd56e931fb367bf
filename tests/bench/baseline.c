/*
 * baseline: the bare libmicrohttpd + libpq server that ltvd's HTTP benchmarks are
 * measured against (SPEC section 7, "within reach of a bare server doing the same
 * query").
 *
 * It does what ltvd must do at the least for each benchmarked route and nothing more:
 * the same MHD set-up (internal polling thread, epoll, a pool of 2), one PGconn per
 * pool thread with ltvd's own statements prepared by the same text, and response
 * objects of the same shape built with jansson, so that the gap to ltvd is the cost of
 * ltvd's own layers (routing, keys, rate limiting, validation, problem bodies, headers,
 * log line, metrics).  No key is checked.  Routes:
 *
 *   GET  /v1/customers/{id}                   customer_get
 *   GET  /v1/deals?customer_id=N[&limit=L]    deal_list_customer (no other filter)
 *   POST /v1/deals                            BEGIN, deal_create, data_version_bump,
 *                                             COMMIT, as ltvd's write pipeline does
 *
 * The SQL is a copy of ltvd's (src/db/customers.c, src/db/deals.c, src/db/conn.c);
 * `baseline --print-sql` prints it as "name<TAB>sql" lines, and bench.sh compares
 * that with what the sqlcheck program prints of ltvd's before it measures.
 * POST checks only what it needs to build the statement's parameters (a JSON object
 * with customer_id and pipeline); the write answers 422 when the statement wrote
 * nothing (unknown customer, pipeline, stage or product).
 *
 * Usage: baseline PORT CONNINFO      (listens on 127.0.0.1:PORT; SIGTERM/SIGINT stop)
 *        baseline --print-sql
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define PREFIX "/v1/customers/"

#define MAX_BODY (1024 * 1024)

static const char *conninfo;
static pthread_key_t conn_key;

/* Copies of ltvd's statements (see the top of the file). */
static const char customer_get_sql[] =
    "SELECT id, external_id, name, industry, employee_count, annual_revenue, "
    "acquisition_channel, country, properties::text, ltvd_ts(created_at), "
    "ltvd_ts(updated_at), version, (SELECT m.body FROM customer_metrics m WHERE "
    "m.customer_id = id) FROM customers WHERE id = $1 AND archived_at IS NULL";

static const char deal_list_customer_sql[] =
    "SELECT d.id, d.external_id, d.customer_id, d.pipeline, d.stage, d.product, "
    "d.revenue_type, d.amount, d.mrr, to_char(d.expected_close_date, 'YYYY-MM-DD') "
    "AS expected_close_date, to_char(d.closed_at, 'YYYY-MM-DD') AS closed_at, "
    "to_char(d.contract_end_date, 'YYYY-MM-DD') AS contract_end_date, "
    "ltvd_ts(d.created_at) AS created_at, ltvd_ts(d.updated_at) AS updated_at, "
    "d.version FROM deals d WHERE d.customer_id = $11 AND d.id > $1 AND ($3::text IS "
    "NULL OR d.pipeline = $3) AND ($4::text IS NULL OR d.stage = $4) AND ($5::text "
    "IS NULL OR EXISTS (SELECT 1 FROM pipeline_stages s WHERE s.pipeline = "
    "d.pipeline AND s.key = d.stage AND s.state = $5)) AND ($6::text IS NULL OR "
    "d.product = $6) AND ($7::date IS NULL OR d.closed_at >= $7) AND ($8::date IS "
    "NULL OR d.closed_at <= $8) AND ($9::date IS NULL OR d.expected_close_date >= "
    "$9) AND ($10::date IS NULL OR d.expected_close_date <= $10) AND EXISTS (SELECT "
    "1 FROM customers c WHERE c.id = d.customer_id AND c.archived_at IS NULL) ORDER "
    "BY d.id LIMIT $2";

static const char deal_create_sql[] =
    "WITH cust AS (SELECT id FROM customers WHERE id = $2::bigint AND archived_at IS "
    "NULL UNION ALL SELECT id FROM customers WHERE $2::bigint IS NULL AND "
    "external_id = $12::text AND archived_at IS NULL), st AS (SELECT s.pipeline, "
    "s.key, s.state FROM pipeline_stages s WHERE s.pipeline = $3::text AND s.key = "
    "coalesce($4::text, (SELECT f.key FROM pipeline_stages f WHERE f.pipeline = "
    "$3::text ORDER BY f.position LIMIT 1))), ins AS (INSERT INTO deals AS d "
    "(external_id, customer_id, pipeline, stage, product, revenue_type, amount, mrr, "
    "expected_close_date, closed_at, contract_end_date, created_at, updated_at) "
    "SELECT $1::text, cust.id, st.pipeline, st.key, $5::text, $6::text, $7::bigint, "
    "$8::bigint, $9::date, CASE WHEN st.state = 'open' THEN NULL ELSE "
    "coalesce($10::date, $15::date) END, $11::date, $13::timestamptz, "
    "$14::timestamptz FROM cust, st WHERE ($5::text IS NULL OR EXISTS (SELECT 1 FROM "
    "products p WHERE p.key = $5::text)) ON CONFLICT (external_id) DO NOTHING "
    "RETURNING d.id, d.external_id, d.customer_id, d.pipeline, d.stage, d.product, "
    "d.revenue_type, d.amount, d.mrr, to_char(d.expected_close_date, 'YYYY-MM-DD') "
    "AS expected_close_date, to_char(d.closed_at, 'YYYY-MM-DD') AS closed_at, "
    "to_char(d.contract_end_date, 'YYYY-MM-DD') AS contract_end_date, "
    "ltvd_ts(d.created_at) AS created_at, ltvd_ts(d.updated_at) AS updated_at, "
    "d.version), hist AS (INSERT INTO deal_stage_history (deal_id, pipeline, stage, "
    "entered_at) SELECT ins.id, ins.pipeline, h.stage, h.entered_at FROM ins, "
    "unnest(coalesce($16::text[], ARRAY[ins.stage]), coalesce($17::timestamptz[], "
    "ARRAY[$13::timestamptz])) WITH ORDINALITY AS h(stage, entered_at, ord) ORDER BY "
    "h.ord) SELECT w.id, w.external_id, w.customer_id, w.pipeline, w.stage, "
    "w.product, w.revenue_type, w.amount, w.mrr, w.expected_close_date, w.closed_at, "
    "w.contract_end_date, w.created_at, w.updated_at, w.version, EXISTS (SELECT 1 "
    "FROM cust), EXISTS (SELECT 1 FROM pipelines WHERE key = $3::text), (SELECT key "
    "FROM st), (SELECT state FROM st), ($5::text IS NULL OR EXISTS (SELECT 1 FROM "
    "products p WHERE p.key = $5::text)), ARRAY(SELECT u.ord - 1 FROM "
    "unnest($16::text[]) WITH ORDINALITY AS u(k, ord) WHERE NOT EXISTS (SELECT 1 "
    "FROM pipeline_stages s WHERE s.pipeline = $3::text AND s.key = u.k) ORDER BY "
    "u.ord)::text FROM (SELECT 1) AS one LEFT JOIN ins AS w ON true";

static const char data_version_bump_sql[] =
    "WITH v AS (UPDATE data_version SET version = version + 1 RETURNING version) "
    "SELECT version, pg_notify('ltvd_data', version::text) FROM v";

static const struct {
	const char *name, *sql;
} statements[] = {
    {"customer_get", customer_get_sql},
    {"deal_list_customer", deal_list_customer_sql},
    {"deal_create", deal_create_sql},
    {"data_version_bump", data_version_bump_sql},
};

/* What MHD keeps for a request between calls: the body read so far. */
struct request {
	char *body;
	size_t len;
	int too_big;
};

static void conn_free(void *conn)
{
	PQfinish(conn);
}

/* The calling pool thread's connection, made (and its statement prepared) on first
 * use and again after the server dropped it; freed by conn_free when the thread ends. */
static PGconn *thread_conn(void)
{
	PGconn *conn = pthread_getspecific(conn_key);

	if (conn && PQstatus(conn) == CONNECTION_OK)
		return conn;
	if (conn) {
		pthread_setspecific(conn_key, NULL);
		PQfinish(conn);
	}
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "baseline: cannot connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	/* as ltvd prepares them: no parameter types given */
	for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) {
		PGresult *res = PQprepare(conn, statements[i].name, statements[i].sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "baseline: cannot prepare %s: %s", statements[i].name,
			        PQerrorMessage(conn));
			PQclear(res);
			PQfinish(conn);
			return NULL;
		}
		PQclear(res);
	}
	pthread_setspecific(conn_key, conn);
	return conn;
}

static json_t *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

static json_t *int_or_null(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

static const char *size_band(const PGresult *res)
{
	if (PQgetisnull(res, 0, 4))
		return "unknown";
	long n = strtol(PQgetvalue(res, 0, 4), NULL, 10);
	return n < 10 ? "1-9" : n < 50 ? "10-49" : n < 250 ? "50-249" : n < 1000 ? "250-999"
	                                                                          : "1000+";
}

static json_t *customer_json(const PGresult *res)
{
	json_t *props = json_loads(PQgetvalue(res, 0, 8), 0, NULL);
	/* the analytics worker's metrics, null until a run has covered the customer */
	json_t *metrics = PQgetisnull(res, 0, 12) ? NULL
	                                          : json_loads(PQgetvalue(res, 0, 12), 0, NULL);

	return json_pack("{s:o,s:o,s:s,s:o,s:o,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:o}",
	                 "id", int_or_null(res, 0, 0),
	                 "external_id", text_or_null(res, 0, 1),
	                 "name", PQgetvalue(res, 0, 2),
	                 "industry", text_or_null(res, 0, 3),
	                 "employee_count", int_or_null(res, 0, 4),
	                 "size_band", size_band(res),
	                 "annual_revenue", int_or_null(res, 0, 5),
	                 "currency", "USD",
	                 "acquisition_channel", text_or_null(res, 0, 6),
	                 "country", text_or_null(res, 0, 7),
	                 "properties", props ? props : json_object(),
	                 "metrics", metrics ? metrics : json_null(),
	                 "created_at", PQgetvalue(res, 0, 9),
	                 "updated_at", PQgetvalue(res, 0, 10),
	                 "version", int_or_null(res, 0, 11));
}

/* The deal of row `row` of a result of ltvd's deal columns (id ... version), in the
 * order of ltvd's deal object. */
static json_t *deal_json(const PGresult *res, int row)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o}",
	                 "id", int_or_null(res, row, 0),
	                 "external_id", text_or_null(res, row, 1),
	                 "customer_id", int_or_null(res, row, 2),
	                 "pipeline", text_or_null(res, row, 3),
	                 "stage", text_or_null(res, row, 4),
	                 "product", text_or_null(res, row, 5),
	                 "revenue_type", text_or_null(res, row, 6),
	                 "amount", int_or_null(res, row, 7),
	                 "mrr", int_or_null(res, row, 8),
	                 "expected_close_date", text_or_null(res, row, 9),
	                 "closed_at", text_or_null(res, row, 10),
	                 "contract_end_date", text_or_null(res, row, 11),
	                 "currency", "USD",
	                 "created_at", text_or_null(res, row, 12),
	                 "updated_at", text_or_null(res, row, 13),
	                 "version", int_or_null(res, row, 14));
}

/* Queues body (freed by MHD) with status; etag, location and data_version when given. */
static enum MHD_Result reply_with(struct MHD_Connection *c, unsigned int status, char *body,
                                  const char *etag, const char *location,
                                  const char *data_version)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
	                                                         MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        status < 300 ? "application/json" : "application/problem+json");
	if (etag)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	if (data_version)
		MHD_add_response_header(r, "X-Ltvd-Data-Version", data_version);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body,
                             const char *etag)
{
	return reply_with(c, status, body, etag, NULL, NULL);
}

static enum MHD_Result problem(struct MHD_Connection *c, unsigned int status,
                               const char *slug, const char *title)
{
	json_t *p = json_pack("{s:s,s:s,s:i,s:s,s:[]}", "type", slug, "title", title,
	                      "status", (int)status, "detail", title, "errors");
	char *body = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return reply(c, status, body, NULL);
}

/* A positive decimal integer of at most 18 digits without a leading zero, else NULL. */
static const char *positive_id(const char *s)
{
	size_t len = s ? strspn(s, "0123456789") : 0;

	if (len == 0 || len > 18 || s[len] != '\0' || s[0] == '0')
		return NULL;
	return s;
}

/* "/v1/customers/<1..2^63-1>" → the id as text, else NULL. */
static const char *path_id(const char *url)
{
	if (strncmp(url, PREFIX, sizeof PREFIX - 1) != 0)
		return NULL;
	return positive_id(url + sizeof PREFIX - 1);
}

static enum MHD_Result unavailable(struct MHD_Connection *c)
{
	return problem(c, MHD_HTTP_SERVICE_UNAVAILABLE, "urn:ltvd:problem:unavailable",
	               "database unavailable");
}

static enum MHD_Result failed(struct MHD_Connection *c, PGconn *conn, const char *what)
{
	fprintf(stderr, "baseline: %s failed: %s", what, PQerrorMessage(conn));
	return problem(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "urn:ltvd:problem:internal",
	               "query failed");
}

static enum MHD_Result get_customer(struct MHD_Connection *c, PGconn *conn, const char *id)
{
	PGresult *res = PQexecPrepared(conn, "customer_get", 1, &id, NULL, NULL, 0);
	enum MHD_Result ret;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = failed(c, conn, "customer_get");
	} else if (PQntuples(res) == 0) {
		ret = problem(c, MHD_HTTP_NOT_FOUND, "urn:ltvd:problem:not-found", "not found");
	} else {
		json_t *customer = customer_json(res);
		char etag[32];
		snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(res, 0, 11));
		char *body = json_dumps(customer, JSON_COMPACT);
		json_decref(customer);
		ret = reply(c, MHD_HTTP_OK, body, etag);
	}
	PQclear(res);
	return ret;
}

/* GET /v1/deals?customer_id=N[&limit=L]: ltvd's list with only the customer filter,
 * first page ($1 after = 0, $2 one more than the limit to learn whether more follow). */
static enum MHD_Result list_deals(struct MHD_Connection *c, PGconn *conn)
{
	const char *customer = positive_id(
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "customer_id"));
	const char *limit_text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	long limit = 100;

	if (customer == NULL)
		return problem(c, MHD_HTTP_BAD_REQUEST, "urn:ltvd:problem:invalid",
		               "customer_id must be a positive integer");
	if (limit_text) {
		char *end;
		limit = strtol(limit_text, &end, 10);
		if (*end != '\0' || limit < 1 || limit > 1000)
			return problem(c, MHD_HTTP_BAD_REQUEST, "urn:ltvd:problem:invalid",
			               "limit must be an integer from 1 to 1000");
	}
	char fetch[16];
	snprintf(fetch, sizeof fetch, "%ld", limit + 1);
	const char *values[11] = {"0", fetch, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	                          customer};
	PGresult *res = PQexecPrepared(conn, "deal_list_customer", 11, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return failed(c, conn, "deal_list_customer");
	}
	int n = PQntuples(res);
	json_t *results = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(results, deal_json(res, i));
	json_t *page = json_pack("{s:o}", "results", results);
	if (n > limit) /* ltvd's cursor is an encoded id; the last id is enough here */
		json_object_set_new(page, "paging",
		                    json_pack("{s:{s:s}}", "next", "after",
		                              PQgetvalue(res, (int)limit - 1, 0)));
	PQclear(res);
	char *body = json_dumps(page, JSON_COMPACT);
	json_decref(page);
	return reply(c, MHD_HTTP_OK, body, NULL);
}

static int simple(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "baseline: %s failed: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* The text of field name of a JSON object as a statement parameter: a string as is (the
 * empty string as null for the optional texts, as ltvd stores it), an integer in
 * decimal into num, null or absent as NULL. */
static const char *param(const json_t *in, const char *name, char num[24])
{
	const json_t *v = json_object_get(in, name);

	if (json_is_integer(v)) {
		snprintf(num, 24, "%lld", (long long)json_integer_value(v));
		return num;
	}
	if (json_is_string(v) && json_string_length(v) == 0 &&
	    (strcmp(name, "external_id") == 0 || strcmp(name, "product") == 0))
		return NULL;
	return json_string_value(v);
}

/* POST /v1/deals: what ltvd's write pipeline sends for a create without an imported
 * history: BEGIN, deal_create, data_version_bump, COMMIT. */
static enum MHD_Result create_deal(struct MHD_Connection *c, PGconn *conn,
                                   const struct request *q)
{
	static const char *const fields[11] = {
	    "external_id", "customer_id", "pipeline", "stage", "product", "revenue_type",
	    "amount", "mrr", "expected_close_date", "closed_at", "contract_end_date"};
	json_t *in = q->body ? json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	char nums[11][24], now[32], today[11], date[11];
	const char *values[17] = {NULL};
	struct timeval tv;
	struct tm tm;

	if (!json_is_object(in) || !json_is_integer(json_object_get(in, "customer_id")) ||
	    !json_is_string(json_object_get(in, "pipeline"))) {
		json_decref(in);
		return problem(c, MHD_HTTP_BAD_REQUEST, "urn:ltvd:problem:invalid",
		               "a JSON object with customer_id and pipeline is required");
	}
	for (int i = 0; i < 11; i++)
		values[i] = param(in, fields[i], nums[i]);
	if (values[5] == NULL)
		values[5] = "one_time";
	if (values[6] == NULL)
		values[6] = "0";
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	snprintf(now, sizeof now, "%sT%02d:%02d:%02d.%06ldZ", date, tm.tm_hour, tm.tm_min,
	         tm.tm_sec, (long)tv.tv_usec);
	memcpy(today, date, sizeof today);
	values[11] = json_string_value(json_object_get(in, "customer_external_id"));
	values[12] = now; /* created_at */
	values[13] = now; /* updated_at */
	values[14] = today;
	/* values[15], values[16]: no imported stage history */

	enum MHD_Result ret;
	if (!simple(conn, "BEGIN")) {
		json_decref(in);
		return failed(c, conn, "BEGIN");
	}
	PGresult *res = PQexecPrepared(conn, "deal_create", 17, values, NULL, NULL, 0);
	json_decref(in);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		ret = failed(c, conn, "deal_create");
		PQclear(res);
		simple(conn, "ROLLBACK");
		return ret;
	}
	if (PQgetisnull(res, 0, 0)) { /* nothing written: a reference is unknown */
		PQclear(res);
		simple(conn, "ROLLBACK");
		return problem(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "urn:ltvd:problem:invalid",
		               "the deal is invalid");
	}
	PGresult *bump = PQexecPrepared(conn, "data_version_bump", 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(bump) != PGRES_TUPLES_OK || PQntuples(bump) != 1) {
		ret = failed(c, conn, "data_version_bump");
		PQclear(bump);
		PQclear(res);
		simple(conn, "ROLLBACK");
		return ret;
	}
	if (!simple(conn, "COMMIT")) {
		PQclear(bump);
		PQclear(res);
		return failed(c, conn, "COMMIT");
	}
	json_t *deal = deal_json(res, 0);
	char etag[32], location[48];
	snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(res, 0, 14));
	snprintf(location, sizeof location, "/v1/deals/%s", PQgetvalue(res, 0, 0));
	char *body = json_dumps(deal, JSON_COMPACT);
	json_decref(deal);
	ret = reply_with(c, MHD_HTTP_CREATED, body, etag, location, PQgetvalue(bump, 0, 0));
	PQclear(bump);
	PQclear(res);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **req_cls)
{
	struct request *q = *req_cls;

	/* Answering on the first call makes MHD close the connection (PITFALLS). */
	if (q == NULL) {
		if ((q = calloc(1, sizeof *q)) == NULL)
			abort();
		*req_cls = q;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (q->too_big || q->len + *upload_data_size > MAX_BODY) {
			q->too_big = 1;
		} else {
			char *grown = realloc(q->body, q->len + *upload_data_size + 1);
			if (grown == NULL)
				abort();
			memcpy(grown + q->len, upload_data, *upload_data_size);
			q->body = grown;
			q->len += *upload_data_size;
			q->body[q->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	int deals = strcmp(url, "/v1/deals") == 0;
	const char *id = get ? path_id(url) : NULL;
	if (!(id || (deals && (get || post))))
		return problem(c, MHD_HTTP_NOT_FOUND, "urn:ltvd:problem:not-found", "not found");
	if (q->too_big)
		return problem(c, MHD_HTTP_CONTENT_TOO_LARGE, "urn:ltvd:problem:too-large",
		               "body too large");

	PGconn *conn = thread_conn();
	if (conn == NULL)
		return unavailable(c);
	if (id)
		return get_customer(c, conn, id);
	return get ? list_deals(c, conn) : create_deal(c, conn, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode code)
{
	struct request *q = *req_cls;

	if (q) {
		free(q->body);
		free(q);
		*req_cls = NULL;
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print-sql") == 0) {
		for (size_t i = 0; i < sizeof statements / sizeof *statements; i++)
			printf("%s\t%s\n", statements[i].name, statements[i].sql);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: baseline PORT CONNINFO | baseline --print-sql\n");
		return 2;
	}
	char *end;
	long port = strtol(argv[1], &end, 10);
	if (*end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "baseline: invalid port \"%s\"\n", argv[1]);
		return 2;
	}
	conninfo = argv[2];
	if (pthread_key_create(&conn_key, conn_free) != 0)
		return 1;

	/* Block the stop signals before MHD starts its threads so only sigwait sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
	    handle, NULL, MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, 1000u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "baseline: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	fprintf(stderr, "baseline: listening on 127.0.0.1:%ld\n", port);

	int sig;
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	return 0;
}
