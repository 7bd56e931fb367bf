/* `ltvd demo`: a deterministic demo company, so that a newcomer's first curl calls
 * return something worth looking at. Loaded once; running it again changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/cli.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"

#define DEMO_CUSTOMERS 300

static const char *const prefixes[] = {"Acme", "Globex", "Initech", "Umbrella", "Stark",
                                       "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Hooli",
                                       "Vandelay", "Wonka", "Gringotts", "Oscorp", "Aperture"};
static const char *const suffixes[] = {"Analytics", "Logistics", "Health", "Foods",
                                       "Robotics", "Capital", "Learning", "Energy",
                                       "Retail", "Labs"};
static const char *const industries[] = {"software", "manufacturing", "healthcare", "finance",
                                         "retail", "logistics", "education"};
static const char *const channels[] = {"inbound", "outbound", "partner", "referral", "event"};
static const char *const countries[] = {"US", "DE", "GB", "FR", "NL", "SE", "JP", "BR"};

#define PICK(arr, x) (arr)[(x) % (sizeof(arr) / sizeof *(arr))]

/* A fixed linear congruential sequence: the same demo on every machine. */
static unsigned long next(unsigned long *state)
{
  *state = *state * 6364136223846793005UL + 1442695040888963407UL;
  return *state >> 33;
}

static json_t *demo_customer(int i, unsigned long *rng)
{
  static const int sizes[] = {4, 25, 120, 600, 3500};
  char name[96], ext[32];
  unsigned long r = next(rng);
  int band = (int) (r % 5);
  json_t *rec = json_object();

  snprintf(name, sizeof name, "%s %s %d", PICK(prefixes, r >> 3), PICK(suffixes, r >> 7), i);
  snprintf(ext, sizeof ext, "demo-%04d", i);
  json_object_set_new(rec, "external_id", json_string(ext));
  json_object_set_new(rec, "name", json_string(name));
  json_object_set_new(rec, "industry", json_string(PICK(industries, r >> 11)));
  json_object_set_new(rec, "employee_count",
                      i % 17 == 0 ? json_null()
                                  : json_integer(sizes[band] + (int) ((r >> 14) % (sizes[band] / 2 + 1))));
  json_object_set_new(rec, "annual_revenue", json_integer((json_int_t) ((r >> 20) % 5000 + 10) * 100000000));
  json_object_set_new(rec, "acquisition_channel", json_string(PICK(channels, r >> 17)));
  json_object_set_new(rec, "country", json_string(PICK(countries, r >> 23)));
  json_object_set_new(rec, "properties", json_pack("{s:s}", "source", "demo"));
  return rec;
}

static enum ltvd_tx_outcome load(PGconn *c, void *ctx)
{
  unsigned long rng = 20261123;
  int64_t version;

  for (int i = 1; i <= DEMO_CUSTOMERS; i++) {
    json_t *rec = demo_customer(i, &rng);
    PQclear(ltvd_db_customer_upsert(c, rec));
    json_decref(rec);
  }
  ltvd_db_bump_data_version(c, &version);
  *(int64_t *) ctx = version;
  return LTVD_TX_COMMIT;
}

int ltvd_cli_demo(const struct ltvd_config *cfg, int argc, char **argv)
{
  char err[512];
  int64_t version = 0;

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("usage: ltvd demo\n\nLoads a deterministic demo data set into LTVD_DATABASE_URL "
           "(once; later runs change nothing).\n");
    return 0;
  }
  if (cfg->database_url == NULL) {
    fprintf(stderr, "ltvd: LTVD_DATABASE_URL is not set\n");
    return 1;
  }
  PGconn *c = ltvd_db_connect(cfg->database_url, err, sizeof err);
  if (c == NULL || !ltvd_db_prepare_all(c)) {
    fprintf(stderr, "ltvd demo: cannot use the database (is it migrated?): %s\n",
            c ? ltvd_db_last_message() : err);
    PQfinish(c);
    return 1;
  }
  PGresult *res = ltvd_db_customer_get_external(c, "demo-0001", false);
  bool loaded = res && PQntuples(res) > 0;
  PQclear(res);
  if (loaded) {
    printf("demo data already loaded\n");
    PQfinish(c);
    return 0;
  }
  bool ok = ltvd_db_transaction(c, load, &version) == LTVD_DB_OK;
  if (ok)
    printf("loaded %d demo customers (data version %lld)\n", DEMO_CUSTOMERS,
           (long long) version);
  else
    fprintf(stderr, "ltvd demo: %s\n", ltvd_db_last_message());
  PQfinish(c);
  return ok ? 0 : 1;
}
