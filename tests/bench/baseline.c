/*
 * baseline: the bare libmicrohttpd + libpq server that ltvd's read benchmark is
 * measured against (SPEC section 7, "reads by id within reach of a bare server doing
 * the same query").
 *
 * It does what ltvd's GET /v1/customers/{id} must do at the least and nothing more:
 * the same MHD set-up (internal polling thread, epoll, a pool of 2), one PGconn per
 * pool thread with the same prepared SELECT, and a customer object of the same shape
 * built with jansson, so that the gap to ltvd is the cost of ltvd's own layers
 * (routing, keys, rate limiting, problem bodies, headers).  No key is checked.
 *
 * Usage: baseline PORT CONNINFO      (listens on 127.0.0.1:PORT; SIGTERM/SIGINT stop)
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

#define PREFIX "/v1/customers/"

static const char *conninfo;
static pthread_key_t conn_key;

static const char customer_sql[] =
    "SELECT id, external_id, name, industry, employee_count, annual_revenue, "
    "acquisition_channel, country, properties::text, ltvd_ts(created_at), "
    "ltvd_ts(updated_at), version FROM customers WHERE id = $1 AND archived_at IS NULL";

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
	PGresult *res = PQprepare(conn, "customer", customer_sql, 1, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "baseline: cannot prepare: %s", PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	pthread_setspecific(conn_key, conn);
	return conn;
}

static json_t *text_or_null(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? json_null() : json_string(PQgetvalue(res, 0, col));
}

static json_t *int_or_null(const PGresult *res, int col)
{
	if (PQgetisnull(res, 0, col))
		return json_null();
	return json_integer(strtoll(PQgetvalue(res, 0, col), NULL, 10));
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

	return json_pack("{s:o,s:o,s:s,s:o,s:o,s:s,s:o,s:s,s:o,s:o,s:o,s:n,s:s,s:s,s:o}",
	                 "id", int_or_null(res, 0),
	                 "external_id", text_or_null(res, 1),
	                 "name", PQgetvalue(res, 0, 2),
	                 "industry", text_or_null(res, 3),
	                 "employee_count", int_or_null(res, 4),
	                 "size_band", size_band(res),
	                 "annual_revenue", int_or_null(res, 5),
	                 "currency", "USD",
	                 "acquisition_channel", text_or_null(res, 6),
	                 "country", text_or_null(res, 7),
	                 "properties", props ? props : json_object(),
	                 "metrics",
	                 "created_at", PQgetvalue(res, 0, 9),
	                 "updated_at", PQgetvalue(res, 0, 10),
	                 "version", int_or_null(res, 11));
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body,
                             const char *etag)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
	                                                         MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        status == MHD_HTTP_OK ? "application/json"
	                                              : "application/problem+json");
	if (etag)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
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

/* "/v1/customers/<1..2^63-1>" → the id as text, else NULL. */
static const char *path_id(const char *url)
{
	if (strncmp(url, PREFIX, sizeof PREFIX - 1) != 0)
		return NULL;
	const char *id = url + sizeof PREFIX - 1;
	size_t len = strspn(id, "0123456789");
	if (len == 0 || len > 18 || id[len] != '\0' || id[0] == '0')
		return NULL;
	return id;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **req_cls)
{
	static int seen;

	/* Answering on the first call makes MHD close the connection (PITFALLS). */
	if (*req_cls == NULL) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	const char *id = path_id(url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 || id == NULL)
		return problem(c, MHD_HTTP_NOT_FOUND, "urn:ltvd:problem:not-found", "not found");

	PGconn *conn = thread_conn();
	if (conn == NULL)
		return problem(c, MHD_HTTP_SERVICE_UNAVAILABLE, "urn:ltvd:problem:unavailable",
		               "database unavailable");
	PGresult *res = PQexecPrepared(conn, "customer", 1, &id, NULL, NULL, 0);
	enum MHD_Result ret;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "baseline: query failed: %s", PQerrorMessage(conn));
		ret = problem(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "urn:ltvd:problem:internal",
		              "query failed");
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

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: baseline PORT CONNINFO\n");
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
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
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
