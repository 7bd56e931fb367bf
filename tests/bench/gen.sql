-- Deterministic benchmark data at SPEC scale (section 7), loaded into an
-- already-migrated, empty ltvd database:
--
--   psql -X -v ON_ERROR_STOP=1 -v n=100000 -d ltvd_bench -f tests/bench/gen.sql
--
-- Every value is a function of the row number g (generate_series plus multiplicative
-- hashing), never of random() or the clock, so two runs give byte-identical rows and
-- the benchmarks can pick ids without asking the database.  Customer ids are exactly
-- 1..:n (inserted with OVERRIDING SYSTEM VALUE; the identity continues after them).
--
-- Facts the benchmark scripts rely on:
--   * customer g is archived iff g % 1000 = 500 (n/1000 rows); all others are live;
--   * customer g has external_id 'crm-<g>' iff g % 10 < 7.
--
--   * deal d (ids exactly 1..:deals) belongs to customer 1 + hash % :n, so a customer
--     has :deals / :n deals on average (10 at SPEC scale); deals of archived customers
--     exist, as in real data; one deal in 4 has external_id 'bench-deal-<d>';
--   * every deal has exactly one deal_stage_history row (with the deal's id): its
--     current stage, entered at created_at when the stage is open, at noon UTC on
--     closed_at when it is won or lost;
--   * business units and products with keys 'bench-*' exist, among them the product
--     'bench-crm-standard'.
--
-- Sections, each a function of its own row count variable (default in brackets):
--   customers  :n         [100000]
--   business units and products (a fixed dozen)
--   deals      :deals     [1000000], each with its deal_stage_history row
--   (later issues add: mrr_lines :mrr_lines [2000000], signals :signals [500000], each
--    a section of the same shape below the deals one.)

\set QUIET on
\set ON_ERROR_STOP on

\if :{?n}
\else
\set n 100000
\endif
\if :{?deals}
\else
\set deals 1000000
\endif

SET synchronous_commit = off;
SET TimeZone = 'UTC'; -- timestamptz::date below must not depend on the server's zone
SET client_min_messages = warning;

-- bench_hashes(n, salt): rows g = 1..n with three 32-bit hashes of (g, salt),
-- (g, salt + 1), (g, salt + 2).  The mix is multiply, xor-shift, multiply, xor-shift
-- with every product below 2^63; fields are cut out of a hash with shifts and modulo.
-- OFFSET 0 keeps the planner from pulling the subqueries up, which would copy each
-- hash expression into every place the caller uses it.
CREATE FUNCTION pg_temp.bench_hashes(n bigint, salt bigint)
    RETURNS TABLE (g bigint, h1 bigint, h2 bigint, h3 bigint)
    LANGUAGE sql IMMUTABLE AS $$
SELECT g, y1 # (y1 >> 13), y2 # (y2 >> 13), y3 # (y3 >> 13)
FROM (SELECT g,
             ((x1 # (x1 >> 16)) * 1540483477) % 4294967296 AS y1,
             ((x2 # (x2 >> 16)) * 1540483477) % 4294967296 AS y2,
             ((x3 # (x3 >> 16)) * 1540483477) % 4294967296 AS y3
      FROM (SELECT g,
                   (g * 2654435761 + salt * 40503) % 4294967296 AS x1,
                   (g * 2654435761 + (salt + 1) * 40503) % 4294967296 AS x2,
                   (g * 2654435761 + (salt + 2) * 40503) % 4294967296 AS x3
            FROM generate_series(1, n) AS g
            OFFSET 0) AS x
      OFFSET 0) AS y
OFFSET 0
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM deals)
       OR EXISTS (SELECT 1 FROM products) OR EXISTS (SELECT 1 FROM business_units) THEN
        RAISE EXCEPTION 'gen.sql needs empty customers, deals, products, business_units';
    END IF;
END $$;

-- ---------------------------------------------------------------------------------
-- customers
-- ---------------------------------------------------------------------------------
BEGIN;

INSERT INTO customers (id, external_id, name, industry, employee_count, annual_revenue,
                       acquisition_channel, country, properties, version,
                       created_at, updated_at, archived_at)
OVERRIDING SYSTEM VALUE
SELECT g,
       CASE WHEN g % 10 < 7 THEN 'crm-' || g END,
       (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark',
              'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent', 'Wonka', 'Nakatomi', 'Oscorp',
              'Massive', 'Gringotts', 'Aperture', 'Black Mesa', 'Monarch', 'Pied Piper',
              'Dunder', 'Sirius', 'Prestige', 'Zorg'])[1 + h1 % 24]
       || ' ' ||
       (ARRAY['Dynamics', 'Systems', 'Labs', 'Holdings', 'Logistics', 'Analytics',
              'Foods', 'Health', 'Energy', 'Media', 'Robotics', 'Capital', 'Retail',
              'Networks', 'Works', 'Studios'])[1 + (h1 >> 8) % 16]
       || ' ' || lpad(g::text, 6, '0'),
       CASE WHEN h2 % 20 = 0 THEN NULL
            ELSE (ARRAY['software', 'manufacturing', 'retail', 'healthcare', 'finance',
                        'education', 'logistics', 'media', 'energy', 'hospitality',
                        'construction', 'telecom'])[1 + (h2 >> 4) % 12] END,
       emp,
       CASE WHEN emp IS NULL OR h3 % 8 = 0 THEN NULL
            ELSE emp::bigint * (5000000 + (h3 >> 4) % 20000000) END,
       CASE WHEN (h2 >> 20) % 16 = 1 THEN NULL
            ELSE (ARRAY['inbound', 'outbound', 'partner', 'referral', 'paid_search',
                        'event', 'marketplace'])[1 + (h2 >> 12) % 7] END,
       CASE WHEN h3 % 25 = 3 THEN NULL
            ELSE (ARRAY['US', 'US', 'US', 'DE', 'GB', 'FR', 'NL', 'CA', 'AU', 'JP',
                        'BR', 'IN', 'ES', 'IT', 'SE', 'CH', 'PL', 'SG', 'MX', 'IE'])
                 [1 + (h3 >> 8) % 20] END,
       CASE WHEN h1 % 4 = 0 THEN '{}'::jsonb
            ELSE jsonb_build_object(
                     'tier', (ARRAY['bronze', 'silver', 'gold'])[1 + (h1 >> 3) % 3],
                     'crm_owner', 'owner-' || (h1 >> 6) % 50,
                     'tags', jsonb_build_array('seed', 'bench-' || g % 7)) END,
       1 + (h3 >> 20) % 3,
       created,
       created + make_interval(hours => ((h1 >> 12) % 5000)::int),
       CASE WHEN g % 1000 = 500 THEN created + interval '400 days' END
FROM (SELECT g, h1, h2, h3,
             -- heavy-tailed head count: mostly small companies, a few large ones,
             -- one in 33 unknown, and exact zeros present
             CASE WHEN h2 % 33 = 7 THEN NULL
                  WHEN h2 % 5 < 2 THEN ((h3 >> 2) % 10)::int
                  WHEN h2 % 5 < 4 THEN (10 + (h3 >> 2) % 240)::int
                  WHEN h3 % 4 < 3 THEN (250 + (h1 >> 2) % 750)::int
                  ELSE (1000 + (h1 >> 2) % 99000)::int END AS emp,
             timestamptz '2019-01-01 00:00:00+00'
                 + make_interval(secs => (g * 1800 + h1 % 1800)::double precision)
                 AS created
      FROM pg_temp.bench_hashes(:n, 1) AS hashed
      OFFSET 0) AS rows;

SELECT setval(pg_get_serial_sequence('customers', 'id'), :n::bigint) \gset

COMMIT;

-- ---------------------------------------------------------------------------------
-- business units and products: a fixed catalogue the deals refer to
-- ---------------------------------------------------------------------------------
BEGIN;

INSERT INTO business_units (key, name, created_at, updated_at)
SELECT key, name, timestamptz '2019-01-01 00:00:00+00', timestamptz '2019-01-01 00:00:00+00'
FROM (VALUES ('bench-software', 'Software'),
             ('bench-services', 'Services'),
             ('bench-hardware', 'Hardware'),
             ('bench-training', 'Training')) AS u (key, name);

INSERT INTO products (key, name, business_unit, family, tier, monthly_price, gross_margin,
                      created_at, updated_at)
SELECT key, name, unit, family, tier, price, margin,
       timestamptz '2019-01-01 00:00:00+00', timestamptz '2019-01-01 00:00:00+00'
FROM (VALUES
        ('bench-crm-standard', 'CRM Standard', 'bench-software', 'crm', 1, 4900, 0.85),
        ('bench-crm-premium', 'CRM Premium', 'bench-software', 'crm', 2, 9900, 0.85),
        ('bench-crm-enterprise', 'CRM Enterprise', 'bench-software', 'crm', 3, 29900, 0.80),
        ('bench-analytics-standard', 'Analytics Standard', 'bench-software', 'analytics',
         1, 19900, 0.80),
        ('bench-analytics-premium', 'Analytics Premium', 'bench-software', 'analytics',
         2, 49900, 0.80),
        ('bench-support-basic', 'Support Basic', 'bench-services', 'support', 1, 9900,
         0.40),
        ('bench-support-24x7', 'Support 24x7', 'bench-services', 'support', 2, 39900, 0.45),
        ('bench-consulting', 'Consulting', 'bench-services', 'consulting', 1, 0, 0.30),
        ('bench-gateway', 'IoT Gateway', 'bench-hardware', 'iot', 1, 2900, 0.25),
        ('bench-sensor-pack', 'Sensor Pack', 'bench-hardware', 'iot', 2, 5900, 0.30),
        ('bench-training-online', 'Online Training', 'bench-training', 'training', 1,
         1900, 0.70),
        ('bench-training-onsite', 'Onsite Training', 'bench-training', 'training', 2,
         0, 0.50))
     AS p (key, name, unit, family, tier, price, margin);

COMMIT;

-- ---------------------------------------------------------------------------------
-- deals and deal_stage_history
-- ---------------------------------------------------------------------------------
-- A deal's pipeline: new_business 5 in 10, upsell 2, cross_sell 1, renewal 2; its stage
-- any of the pipeline's (by position), so about a third of the deals are won or lost.
-- Created after its customer (customer g is created 2019-01-01 + g * 1800 s + < 1800 s),
-- within 400 days; closed 1 to 180 days after creation; product null for 1 in 16.
--
-- Loaded as PostgreSQL's manual advises for a bulk load ("Populating a Database"): the
-- two tables' foreign keys, unique constraints and secondary indexes are dropped and
-- made again once the rows are in, so that PostgreSQL checks each constraint with one
-- join and builds each index with one sort, instead of 4,000,000 foreign-key trigger
-- calls and 5,000,000 index insertions row by row (on the 2-core machine about 25 s
-- instead of 50 to 100 s). The definitions come from the catalogue, so the schema after
-- the load is the migrated one, names included; primary keys and CHECKs stay in place.
BEGIN;

SET LOCAL maintenance_work_mem = '256MB';

CREATE TEMPORARY TABLE bench_ddl ON COMMIT DROP AS
SELECT c.contype = 'f' AS first_to_drop,
       CASE c.contype WHEN 'u' THEN 2 ELSE 3 END AS restore_order,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
           AS drop_sql,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid)) AS restore_sql
FROM pg_constraint c
WHERE c.conrelid IN ('deals'::regclass, 'deal_stage_history'::regclass)
  AND c.contype IN ('f', 'u')
UNION ALL
SELECT false, 1, format('DROP INDEX %s', i.indexrelid::regclass),
       pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid IN ('deals'::regclass, 'deal_stage_history'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid);

SELECT drop_sql FROM bench_ddl ORDER BY first_to_drop DESC, drop_sql \gexec

INSERT INTO deals (id, external_id, customer_id, pipeline, stage, product, revenue_type,
                   amount, mrr, expected_close_date, closed_at, contract_end_date,
                   version, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT r.id,
       CASE WHEN r.id % 4 = 0 THEN 'bench-deal-' || r.id END,
       r.customer_id, r.pipeline, r.stage, r.product,
       CASE WHEN r.recurring THEN 'recurring' ELSE 'one_time' END,
       r.amount,
       CASE WHEN r.recurring THEN r.amount / 12 END,
       (r.created + make_interval(days => r.expect_days::int))::date,
       CASE WHEN r.state <> 'open'
            THEN (r.created + make_interval(days => r.close_days::int))::date END,
       CASE WHEN r.recurring AND r.state = 'won'
            THEN (r.created + make_interval(years => 1, days => r.close_days::int))::date
       END,
       1,
       r.created,
       CASE WHEN r.state = 'open' THEN r.created
            ELSE r.created + make_interval(days => r.close_days::int) END
FROM (SELECT h.*, st.keys[1 + h.stage_pick % cardinality(st.keys)] AS stage,
             st.states[1 + h.stage_pick % cardinality(st.keys)] AS state
      FROM (SELECT g AS id,
                   1 + h1 % :n AS customer_id,
                   CASE WHEN h2 % 10 < 5 THEN 'new_business' WHEN h2 % 10 < 7 THEN 'upsell'
                        WHEN h2 % 10 < 8 THEN 'cross_sell' ELSE 'renewal' END AS pipeline,
                   (h2 >> 8) % 64 AS stage_pick,
                   CASE WHEN (h3 >> 4) % 16 = 0 THEN NULL
                        ELSE (ARRAY['bench-crm-standard', 'bench-crm-premium',
                                    'bench-crm-enterprise', 'bench-analytics-standard',
                                    'bench-analytics-premium', 'bench-support-basic',
                                    'bench-support-24x7', 'bench-consulting',
                                    'bench-gateway', 'bench-sensor-pack',
                                    'bench-training-online',
                                    'bench-training-onsite'])[1 + (h3 >> 8) % 12]
                   END AS product,
                   h3 % 3 = 0 AS recurring,
                   100 * (500 + (h2 >> 16) % 200000) AS amount,
                   timestamptz '2019-01-01 00:00:00+00'
                       + make_interval(secs => ((1 + h1 % :n) * 1800 + 1800
                                                + (h1 >> 7) % 400 * 86400
                                                + (h2 >> 3) % 86400)::double precision)
                       AS created,
                   1 + (h3 >> 12) % 180 AS close_days,
                   30 + (h3 >> 20) % 90 AS expect_days
            FROM pg_temp.bench_hashes(:deals, 11) AS hashed
            OFFSET 0) AS h
      JOIN (SELECT pipeline, array_agg(key ORDER BY position) AS keys,
                   array_agg(state ORDER BY position) AS states
            FROM pipeline_stages GROUP BY pipeline) AS st ON st.pipeline = h.pipeline) AS r
ORDER BY r.id;

-- The one history row of each deal: its stage, entered when it was created (open) or
-- at noon UTC on closed_at (won, lost).
INSERT INTO deal_stage_history (id, deal_id, pipeline, stage, entered_at)
OVERRIDING SYSTEM VALUE
SELECT d.id, d.id, d.pipeline, d.stage,
       CASE WHEN d.closed_at IS NULL THEN d.created_at
            ELSE (d.closed_at + time '12:00') AT TIME ZONE 'UTC' END
FROM deals d
ORDER BY d.id;

SELECT restore_sql FROM bench_ddl ORDER BY restore_order, restore_sql \gexec

SELECT setval(pg_get_serial_sequence('deals', 'id'), greatest(:deals, 1)::bigint,
              :deals > 0) \gset
SELECT setval(pg_get_serial_sequence('deal_stage_history', 'id'),
              greatest(:deals, 1)::bigint, :deals > 0) \gset

COMMIT;

-- ---------------------------------------------------------------------------------
-- (next sections: mrr_lines, signals)
-- ---------------------------------------------------------------------------------

-- The load is one committed change as far as ltvd's caches are concerned.
UPDATE data_version SET version = version + 1;
NOTIFY ltvd_data;

-- Vacuum now so that neither hint-bit writes on first reads nor an autovacuum of the
-- freshly loaded tables lands in the middle of a measurement.
VACUUM ANALYZE customers;
VACUUM ANALYZE business_units;
VACUUM ANALYZE products;
VACUUM ANALYZE deals;
VACUUM ANALYZE deal_stage_history;
