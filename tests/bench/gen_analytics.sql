-- The rest of the benchmark data at SPEC scale (section 7): MRR lines and signals, for
-- the analytics benchmarks (recompute.sh, effect.sh).  Run after gen.sql on the same
-- database, with the same `today`:
--
--   psql -X -v ON_ERROR_STOP=1 -d ltvd_bench -f tests/bench/gen.sql
--   psql -X -v ON_ERROR_STOP=1 -d ltvd_bench -f tests/bench/gen_analytics.sql
--
-- Deterministic like gen.sql (gen_common.sql's hashes of the row number, the customer
-- profiles gen.sql's deals follow too), and nothing after T (`today`, default
-- 2026-11-15) or, for MRR, after M = the month of T.
--
-- MRR lines, :mrr_lines of them [2000000] (fewer when the customers cannot fill them):
--   * 17 in 20 of the customers that are not prospects subscribe, each to 1..3 of its
--     profile's subscription families (gen_common.sql), one product of the family at a
--     time: unique per customer, product and month;
--   * a subscription runs over consecutive months from a start in the 6 years up to
--     its customer's last month (M, or the month a customer that stopped buying
--     stopped: gen_common.sql's bench_alive_until), not before the month after its
--     creation, for 1..39 months, so some end before M (churn) and the others run into
--     M; 1 in 4 of the ended ones come back after a gap of 1..6 months for 1..30 months
--     (reactivation), never past the customer's last month;
--   * mrr = the product's monthly price x seats (1..12): 3 in 10 subscriptions add a
--     seat every 3..8 months (expansion), 2 in 10 drop one (contraction, never below
--     one seat); 1 in 4 move up one tier halfway through their first run (upsell: the
--     family's next product);
--   * subscriptions are generated in an order of their own (a hash), and the lines cut
--     at :mrr_lines, so the exact count is met: the subscriptions past the cut (about 3
--     in 100 at SPEC scale) are dropped whole, whoever their customers are, and one is
--     cut short.
--
-- Signals, :signals of them [500000], ids 1..:signals:
--   * customer 1 + hash % n; 1 in 500 arrives for an external id no customer has
--     ('crm-unknown-<g>', kept unmatched);
--   * types email_open 25 in 100, email_click 10, web_visit 20, meeting 5, call 5,
--     support_ticket 8, usage 14, feature_interest 7, nps 6; usage carries value
--     0.000..1.200 and a subscription product for 1 in 2, nps an integer 0..10,
--     feature_interest a product (any of the catalogue);
--   * 55 in 100 dated in the last 90 days (T - 89 .. T), the others in the 1,005 days
--     before; a customer that stopped buying falls silent, its later signals moved into
--     the year before it stopped (about 35 in 100 stay in the last 90 days);
--   * source 'bench' with event_id 'bench-sig-<g>' for 6 in 10, else 'api' without one.
--
-- The load is bumped into data_version once, with a NOTIFY, like any committed change.

\set QUIET on
\set ON_ERROR_STOP on

\if :{?mrr_lines}
\else
\set mrr_lines 2000000
\endif
\if :{?signals}
\else
\set signals 500000
\endif
\if :{?today}
\else
\set today 2026-11-15
\endif

\ir gen_common.sql

SELECT coalesce(max(id), 0) AS n FROM customers \gset

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM customers)
       OR NOT EXISTS (SELECT 1 FROM bench_families) THEN
        RAISE EXCEPTION 'gen_analytics.sql runs after gen.sql (no customers or catalogue)';
    END IF;
    IF EXISTS (SELECT 1 FROM mrr_lines) OR EXISTS (SELECT 1 FROM signals) THEN
        RAISE EXCEPTION 'gen_analytics.sql needs empty mrr_lines and signals';
    END IF;
END $$;

BEGIN;

SET LOCAL maintenance_work_mem = '256MB';
SET LOCAL work_mem = '256MB';

-- As in gen.sql: foreign keys, unique constraints, primary keys and secondary indexes
-- of the two tables go for the load and come back from the catalogue's definitions.
CREATE TEMPORARY TABLE bench_ddl ON COMMIT DROP AS
SELECT c.contype = 'f' AS first_to_drop,
       CASE c.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 ELSE 3 END AS restore_order,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
           AS drop_sql,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid)) AS restore_sql
FROM pg_constraint c
WHERE c.conrelid IN ('mrr_lines'::regclass, 'signals'::regclass)
  AND c.contype IN ('f', 'u', 'p')
UNION ALL
SELECT false, 1, format('DROP INDEX %s', i.indexrelid::regclass),
       pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid IN ('mrr_lines'::regclass, 'signals'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid);

SELECT drop_sql FROM bench_ddl ORDER BY first_to_drop DESC, drop_sql \gexec

CREATE TEMPORARY TABLE bench_offer_now ON COMMIT DROP AS
SELECT * FROM bench_offer WHERE subscription;

-- The subscribers: their profiles and the months of their creation, as integers
-- (12 x year + month - 1, as below).
CREATE TEMPORARY TABLE bench_cust ON COMMIT DROP AS
SELECT c.id, p.f0, p.step, p.families,
       (12 * extract(year FROM c.created_at) + extract(month FROM c.created_at))::int - 1
           AS first_month,
       least((12 * extract(year FROM :'today'::date)
              + extract(month FROM :'today'::date))::int - 1,
             (12 * extract(year FROM a.alive_until)
              + extract(month FROM a.alive_until))::int - 1) AS last_month
FROM customers c
JOIN pg_temp.bench_profile(:n) AS p ON p.id = c.id
CROSS JOIN LATERAL (SELECT pg_temp.bench_alive_until(c.created_at, p.buy64,
                                                     p.dropout_after, :'today'::date)
                               AS alive_until) AS a
WHERE p.subscriber;

-- The product keys a signal may name: any of the catalogue, a subscription product.
CREATE TEMPORARY TABLE bench_keys ON COMMIT DROP AS
SELECT (SELECT array_agg(key ORDER BY key) FROM products WHERE key LIKE 'bench-%') AS every,
       (SELECT array_agg(k ORDER BY k) FROM bench_offer_now, unnest(keys) AS k)
           AS subscription;

-- The customers that stopped buying, and when.
CREATE TEMPORARY TABLE bench_churned ON COMMIT DROP AS
SELECT c.id, a.alive_until
FROM customers c
JOIN pg_temp.bench_profile(:n) AS p ON p.id = c.id
CROSS JOIN LATERAL (SELECT pg_temp.bench_alive_until(c.created_at, p.buy64,
                                                     p.dropout_after, :'today'::date)
                               AS alive_until) AS a
WHERE a.alive_until IS NOT NULL;

ANALYZE bench_offer_now;
ANALYZE bench_cust;
ANALYZE bench_churned;

-- ---------------------------------------------------------------------------------
-- mrr_lines
-- ---------------------------------------------------------------------------------
INSERT INTO mrr_lines (customer_id, product, month, mrr)
SELECT s.customer_id,
       o.keys[1 + s.variant % cardinality(o.keys)],
       make_date(m.month / 12, m.month % 12 + 1, 1),
       o.prices[1 + s.variant % cardinality(o.keys)]
           * CASE WHEN s.trend < 3
                  THEN s.seats + (m.month - s.start1) / s.every
                  WHEN s.trend < 5
                  THEN greatest(1, s.seats - (m.month - s.start1) / s.every)
                  ELSE s.seats END
FROM (SELECT r.*,
             CASE WHEN r.back AND r.end1 < r.last_month
                  THEN least(r.end1 + 1 + r.gap + r.len2 - 1, r.last_month) END AS end2
      FROM (SELECT q.*,
                   least(q.start1 + q.len1 - 1, q.last_month) AS end1
            FROM (SELECT c.id AS customer_id,
                         (c.f0 + k.k * c.step) % 10 AS fam,
                         CASE WHEN h.h1 % 10 < 6 THEN 1
                              WHEN h.h1 % 10 < 9 THEN 2 ELSE 3 END AS tier_wish,
                         (h.h1 >> 4) % 4 = 0 AS upgrade,
                         greatest(c.first_month + 1,
                                  c.last_month - ((h.h1 >> 8) % 72)::int) AS start1,
                         (1 + h.h2 % 39)::int AS len1,
                         (h.h2 >> 8) % 4 = 0 AS back,
                         (1 + (h.h2 >> 10) % 6)::int AS gap,
                         (1 + (h.h2 >> 14) % 30)::int AS len2,
                         (1 + h.h3 % 12)::int AS seats,
                         ((h.h3 >> 8) % 10)::int AS trend,
                         (3 + (h.h3 >> 12) % 6)::int AS every,
                         h.h4 AS variant,
                         h.h5 AS slot_order,
                         c.last_month
                  FROM pg_temp.bench_hashes(4 * :n, 31) AS h
                  CROSS JOIN LATERAL (SELECT (h.g - 1) / 4 + 1 AS id,
                                             ((h.g - 1) % 4)::int AS k) AS k
                  JOIN bench_cust AS c ON c.id = k.id AND k.k < c.families
                  OFFSET 0) AS q
            OFFSET 0) AS r
      ORDER BY r.slot_order, r.customer_id, r.fam
      OFFSET 0) AS s
CROSS JOIN LATERAL generate_series(s.start1, coalesce(s.end2, s.end1)) AS m (month)
JOIN bench_offer_now AS o
  ON o.idx = s.fam
 AND o.tier = least(s.tier_wish + CASE WHEN s.upgrade AND m.month >= s.start1 + s.len1 / 2
                                       THEN 1 ELSE 0 END,
                    o.max_tier)
WHERE m.month <= s.end1 OR m.month > s.end1 + s.gap
LIMIT :mrr_lines;

-- ---------------------------------------------------------------------------------
-- signals
-- ---------------------------------------------------------------------------------
INSERT INTO signals (id, customer_id, customer_external_id, type, occurred_at, value,
                     product, source, event_id, created_at)
OVERRIDING SYSTEM VALUE
SELECT r.g,
       CASE WHEN NOT r.unmatched THEN r.customer_id END,
       CASE WHEN r.unmatched THEN 'crm-unknown-' || r.g END,
       r.type, r.occurred,
       CASE r.type WHEN 'usage' THEN (r.h4 % 1201) / 1000.0::double precision
                   WHEN 'nps' THEN (r.h4 % 11)::double precision END,
       CASE WHEN r.type = 'feature_interest'
            THEN k.every[1 + (r.h4 >> 8) % cardinality(k.every)]
            WHEN r.type = 'usage' AND (r.h4 >> 16) % 2 = 0
            THEN k.subscription[1 + (r.h4 >> 8) % cardinality(k.subscription)] END,
       CASE WHEN r.tracked THEN 'bench' ELSE 'api' END,
       CASE WHEN r.tracked THEN 'bench-sig-' || r.g END,
       r.occurred + make_interval(secs => (1 + (r.h3 >> 20) % 600)::double precision)
FROM (SELECT h.g, h.h3, h.h4,
             1 + h.h1 % :n AS customer_id,
             (h.h1 >> 20) % 500 = 0 AS unmatched,
             (h.h1 >> 12) % 10 < 6 AS tracked,
             CASE WHEN h.h2 % 100 < 25 THEN 'email_open'
                  WHEN h.h2 % 100 < 35 THEN 'email_click'
                  WHEN h.h2 % 100 < 55 THEN 'web_visit'
                  WHEN h.h2 % 100 < 60 THEN 'meeting'
                  WHEN h.h2 % 100 < 65 THEN 'call'
                  WHEN h.h2 % 100 < 73 THEN 'support_ticket'
                  WHEN h.h2 % 100 < 87 THEN 'usage'
                  WHEN h.h2 % 100 < 94 THEN 'feature_interest'
                  ELSE 'nps' END AS type,
             -- a churned customer falls silent: its later signals move back to the
             -- year before it stopped
             (CASE WHEN a.alive_until IS NULL
                        OR :'today'::date - h.day_back <= a.alive_until
                   THEN :'today'::date - h.day_back
                   ELSE a.alive_until - (h.h3 % 365)::int END)
             + make_interval(secs => ((h.h3 >> 10) % 86400)::double precision) AS occurred
      FROM (SELECT h.*,
                   CASE WHEN (h.h2 >> 8) % 100 < 55 THEN (h.h3 % 90)::int
                        ELSE 90 + (h.h3 % 1005)::int END AS day_back
            FROM pg_temp.bench_hashes(:signals, 41) AS h
            OFFSET 0) AS h
      LEFT JOIN bench_churned AS a ON a.id = 1 + h.h1 % :n
      OFFSET 0) AS r
CROSS JOIN bench_keys AS k;

SELECT restore_sql FROM bench_ddl ORDER BY restore_order, restore_sql \gexec

SELECT setval(pg_get_serial_sequence('signals', 'id'), greatest(:signals, 1)::bigint,
              :signals > 0) \gset

COMMIT;

UPDATE data_version SET version = version + 1;
NOTIFY ltvd_data;

VACUUM ANALYZE mrr_lines;
VACUUM ANALYZE signals;
