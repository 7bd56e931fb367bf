-- Deterministic benchmark data at SPEC scale (section 7), loaded into an
-- already-migrated, empty ltvd database:
--
--   psql -X -v ON_ERROR_STOP=1 -v n=100000 -d ltvd_bench -f tests/bench/gen.sql
--
-- gen.sql makes the customers, the catalogue and the deals with their stage history
-- (what the HTTP benchmarks need); gen_analytics.sql, run after it, adds the MRR lines
-- and the signals (what the analytics need).  Both take `today` (T, default
-- 2026-11-15, the LTVD_TODAY to run ltvd with): nothing they make is dated after T.
--
-- Every value is a function of the row number g (generate_series plus multiplicative
-- hashing, gen_common.sql), never of random() or the clock, so two runs give
-- byte-identical rows and the benchmarks can pick ids without asking the database.
-- Customer ids are exactly 1..:n (inserted with OVERRIDING SYSTEM VALUE; the identity
-- continues after them).
--
-- Facts the benchmark scripts rely on:
--   * customer g is archived iff g % 1000 = 500 (n/1000 rows); all others are live;
--   * customer g has external_id 'crm-<g>' iff g % 10 < 7;
--   * customer g is created T - 6 years + (g - 1) / n of 2,160 days (+ < 30 min), so
--     ids follow creation and the newest customer is a month old;
--   * deal d (ids exactly 1..:deals) belongs to one of two customers 1 + hash % :n,
--     the likelier buyer of the two (gen_common.sql's profile), so a customer has
--     :deals / :n deals on average (10 at SPEC scale, 1 to about 40); deals of archived
--     customers exist, as in real data; one deal in 4 has external_id 'bench-deal-<d>';
--   * deals are in the four seeded pipelines: open 1 in 5 (created in the 240 days
--     before T); of the closed ones (closed_at in the 4 years up to T, none after T,
--     never before the customer's creation) each customer wins its own share, nothing
--     after it stopped buying and nothing at all when it is one of the 12 in 100
--     prospects (gen_common.sql): about 21 in 100 deals won, 59 lost;
--   * every deal has 1 to 5 deal_stage_history rows: the open stages it went through
--     in pipeline order, then its current stage; dates non-decreasing from created_at;
--     a closed deal's last entry at noon UTC on closed_at, an open deal's at updated_at;
--     the entries of deal d have the ids 5 (d - 1) + 1, + 2, ...;
--   * 10 business units and 40 products with keys 'bench-*' in 12 families, tiers 1..3
--     (gen_common.sql numbers them), among them every product deals_write.lua uses.
--
-- Sections, each a function of its own row count variable (default in brackets):
--   customers  :n         [100000]
--   business units and products (a fixed catalogue)
--   deals      :deals     [1000000], each with its deal_stage_history rows
--   (gen_analytics.sql: mrr_lines :mrr_lines [2000000], signals :signals [500000])

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
\if :{?today}
\else
\set today 2026-11-15
\endif

\ir gen_common.sql

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
       least(created + make_interval(hours => ((h1 >> 12) % 5000)::int),
             :'today'::date + time '12:00'),
       CASE WHEN g % 1000 = 500 THEN created + (:'today'::date - created) / 2 END
FROM (SELECT g, h1, h2, h3,
             -- heavy-tailed head count: mostly small companies, a few large ones,
             -- one in 33 unknown, and exact zeros present
             CASE WHEN h2 % 33 = 7 THEN NULL
                  WHEN h2 % 5 < 2 THEN ((h3 >> 2) % 10)::int
                  WHEN h2 % 5 < 4 THEN (10 + (h3 >> 2) % 240)::int
                  WHEN h3 % 4 < 3 THEN (250 + (h1 >> 2) % 750)::int
                  ELSE (1000 + (h1 >> 2) % 99000)::int END AS emp,
             (:'today'::date - 2190)::timestamptz
                 + make_interval(secs => ((g - 1) * (2160 * 86400.0 / :n) + h1 % 1800)
                                         ::double precision)
                 AS created
      FROM pg_temp.bench_hashes(:n, 1) AS hashed
      OFFSET 0) AS rows;

SELECT setval(pg_get_serial_sequence('customers', 'id'), :n::bigint) \gset

COMMIT;

-- ---------------------------------------------------------------------------------
-- business units and products: a fixed catalogue of 10 units and 40 products in 12
-- families (10 subscription families, and consulting and training sold once), tiers
-- 1..3, some families with two products on a tier; a NULL gross margin takes the
-- setting default_gross_margin.
-- ---------------------------------------------------------------------------------
BEGIN;

INSERT INTO business_units (key, name, created_at, updated_at)
SELECT key, name, t, t
FROM (VALUES ('bench-software', 'Software'),
             ('bench-data', 'Data'),
             ('bench-services', 'Services'),
             ('bench-hardware', 'Hardware'),
             ('bench-training', 'Training'),
             ('bench-security', 'Security'),
             ('bench-payments', 'Payments'),
             ('bench-marketing', 'Marketing'),
             ('bench-hr', 'People'),
             ('bench-logistics', 'Logistics')) AS u (key, name)
CROSS JOIN (SELECT (:'today'::date - 2200)::timestamptz AS t) AS at;

INSERT INTO products (key, name, business_unit, family, tier, monthly_price, gross_margin,
                      created_at, updated_at)
SELECT key, name, 'bench-' || unit, family, tier, price, margin, t, t
FROM (VALUES
        ('bench-crm-starter', 'CRM Starter', 'software', 'crm', 1, 2900, 0.85),
        ('bench-crm-standard', 'CRM Standard', 'software', 'crm', 1, 4900, 0.85),
        ('bench-crm-premium', 'CRM Premium', 'software', 'crm', 2, 9900, 0.85),
        ('bench-crm-enterprise', 'CRM Enterprise', 'software', 'crm', 3, 29900, 0.80),
        ('bench-analytics-standard', 'Analytics Standard', 'data', 'analytics', 1,
         19900, 0.80),
        ('bench-analytics-premium', 'Analytics Premium', 'data', 'analytics', 2, 49900,
         0.80),
        ('bench-analytics-embedded', 'Analytics Embedded', 'data', 'analytics', 2, 59900,
         0.75),
        ('bench-analytics-enterprise', 'Analytics Enterprise', 'data', 'analytics', 3,
         99900, 0.78),
        ('bench-datalake-basic', 'Data Lake Basic', 'data', 'datalake', 1, 14900, NULL),
        ('bench-datalake-pro', 'Data Lake Pro', 'data', 'datalake', 2, 39900, NULL),
        ('bench-support-basic', 'Support Basic', 'services', 'support', 1, 9900, 0.40),
        ('bench-support-24x7', 'Support 24x7', 'services', 'support', 2, 39900, 0.45),
        ('bench-support-dedicated', 'Support Dedicated', 'services', 'support', 3, 89900,
         0.35),
        ('bench-consulting', 'Consulting', 'services', 'consulting', 1, 0, 0.30),
        ('bench-consulting-implementation', 'Implementation', 'services', 'consulting', 2,
         0, 0.30),
        ('bench-consulting-strategy', 'Strategy Consulting', 'services', 'consulting', 3,
         0, 0.35),
        ('bench-gateway', 'IoT Gateway', 'hardware', 'iot', 1, 2900, 0.25),
        ('bench-sensor-pack', 'Sensor Pack', 'hardware', 'iot', 2, 5900, 0.30),
        ('bench-iot-fleet', 'IoT Fleet', 'hardware', 'iot', 3, 14900, 0.35),
        ('bench-training-online', 'Online Training', 'training', 'training', 1, 1900,
         0.70),
        ('bench-training-onsite', 'Onsite Training', 'training', 'training', 2, 0, 0.50),
        ('bench-training-certification', 'Certification', 'training', 'training', 3, 0,
         0.55),
        ('bench-security-essentials', 'Security Essentials', 'security', 'security', 1,
         3900, 0.82),
        ('bench-security-advanced', 'Security Advanced', 'security', 'security', 2, 8900,
         0.80),
        ('bench-security-xdr', 'Security XDR', 'security', 'security', 3, 24900, 0.75),
        ('bench-security-mdr', 'Security MDR', 'security', 'security', 3, 34900, 0.55),
        ('bench-payments-starter', 'Payments Starter', 'payments', 'payments', 1, 2500,
         NULL),
        ('bench-payments-terminal', 'Payments Terminal', 'payments', 'payments', 1, 4900,
         0.35),
        ('bench-payments-growth', 'Payments Growth', 'payments', 'payments', 2, 7500, NULL),
        ('bench-payments-scale', 'Payments Scale', 'payments', 'payments', 3, 19900, NULL),
        ('bench-marketing-email', 'Email Marketing', 'marketing', 'marketing', 1, 1500,
         0.90),
        ('bench-marketing-social', 'Social Marketing', 'marketing', 'marketing', 1, 2500,
         0.88),
        ('bench-marketing-automation', 'Marketing Automation', 'marketing', 'marketing', 2,
         6900, 0.86),
        ('bench-marketing-suite', 'Marketing Suite', 'marketing', 'marketing', 3, 17900,
         0.84),
        ('bench-hr-payroll', 'Payroll', 'hr', 'hr', 1, 3500, 0.70),
        ('bench-hr-people', 'People', 'hr', 'hr', 2, 8500, 0.72),
        ('bench-hr-talent', 'Talent', 'hr', 'hr', 3, 15900, 0.74),
        ('bench-fleet-tracking', 'Fleet Tracking', 'logistics', 'fleet', 1, 4500, 0.60),
        ('bench-fleet-routing', 'Fleet Routing', 'logistics', 'fleet', 2, 9500, 0.62),
        ('bench-fleet-suite', 'Fleet Suite', 'logistics', 'fleet', 3, 21900, 0.65))
     AS p (key, name, unit, family, tier, price, margin)
CROSS JOIN (SELECT (:'today'::date - 2200)::timestamptz AS t) AS at;

DO $$
BEGIN
    IF (SELECT count(*) FROM bench_families WHERE subscription) <> 10
       OR (SELECT count(*) FROM bench_families WHERE NOT subscription) <> 2 THEN
        RAISE EXCEPTION 'the catalogue must have 10 subscription and 2 one-time families';
    END IF;
    IF EXISTS (SELECT FROM bench_families f
               WHERE (SELECT count(DISTINCT tier) FROM products p
                      WHERE p.family = f.family) <> f.max_tier) THEN
        RAISE EXCEPTION 'every family must have the tiers 1..its highest';
    END IF;
END $$;

COMMIT;

-- ---------------------------------------------------------------------------------
-- deals and deal_stage_history
-- ---------------------------------------------------------------------------------
-- A deal's pipeline: new_business 5 in 10, upsell 2, cross_sell 1, renewal 2.  Its state:
-- open 1 in 5, in a funnel (of 4 open stages the first holds 7 in 16, then 5, 3, 1);
-- else won with its customer's probability buy64 / 64 unless that customer is a
-- prospect or stopped buying before (bench_alive_until), else lost.  A closed deal
-- closes on a day of the 4 years up to T (not before the day after its customer's
-- creation), created 1 to 120 days earlier (not before its customer); an open one was
-- created in the 240 days before T.  Product: none for 1 in 16, else a one-time
-- family's (consulting, training) for 3 in 10, else one of the customer's subscription
-- families; tier 1 for 6 in 10, 2 for 3, 3 for 1 (at most the family's highest).  A
-- deal of a subscription product is recurring for 1 in 2: amount 12 x price x 1..20
-- seats, mrr amount / 12, and when won a contract ending 1 or 2 years after closed_at
-- (so some end within 90 days after T).  Others: one_time, $300 to about $25,000,
-- skewed to the small, times the customer's spend factor.
--
-- Stage history: an open deal went through the open stages up to its own, one entry
-- each; a won one through the first k of the pipeline's n open stages, k = n - 2..n
-- (mostly n); a lost one through the first 0..n of them (mostly few); then its current
-- stage: 1 to 5 entries, about 2.7 a deal.  Entries are spread evenly from created_at to
-- the last one: noon UTC on closed_at, or updated_at (before T) for an open deal.
--
-- Loaded as PostgreSQL's manual advises for a bulk load ("Populating a Database"): the
-- two tables' foreign keys, unique constraints and secondary indexes, and the history's
-- primary key, are dropped and made again once the rows are in, so that PostgreSQL
-- checks each constraint with one join and builds each index with one sort, instead of
-- millions of foreign-key trigger calls and index insertions row by row.  The
-- definitions come from the catalogue, so the schema after the load is the migrated
-- one, names included; the primary key of deals and the CHECKs stay in place.  Ids are
-- given, so no ORDER BY is needed for them; the joins hash the small side, so the rows
-- still go in in id order.
BEGIN;

SET LOCAL maintenance_work_mem = '256MB';
SET LOCAL work_mem = '256MB';

CREATE TEMPORARY TABLE bench_ddl ON COMMIT DROP AS
SELECT c.contype = 'f' AS first_to_drop,
       CASE c.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 ELSE 3 END AS restore_order,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
           AS drop_sql,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid)) AS restore_sql
FROM pg_constraint c
WHERE (c.conrelid IN ('deals'::regclass, 'deal_stage_history'::regclass)
       AND c.contype IN ('f', 'u'))
   OR (c.conrelid = 'deal_stage_history'::regclass AND c.contype = 'p')
UNION ALL
SELECT false, 1, format('DROP INDEX %s', i.indexrelid::regclass),
       pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid IN ('deals'::regclass, 'deal_stage_history'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid);

SELECT drop_sql FROM bench_ddl ORDER BY first_to_drop DESC, drop_sql \gexec

-- Per pipeline: its open stages in order, its won and its lost stage.
CREATE TEMPORARY TABLE bench_stages ON COMMIT DROP AS
SELECT pipeline,
       array_agg(key ORDER BY position) FILTER (WHERE state = 'open') AS open_keys,
       min(key) FILTER (WHERE state = 'won') AS won_key,
       min(key) FILTER (WHERE state = 'lost') AS lost_key
FROM pipeline_stages
GROUP BY pipeline;

CREATE TEMPORARY TABLE bench_offer_now ON COMMIT DROP AS SELECT * FROM bench_offer;

CREATE TEMPORARY TABLE bench_cust ON COMMIT DROP AS
SELECT c.id, c.created_at, p.prospect, p.f0, p.step, p.families, p.buy64, p.spend,
       pg_temp.bench_alive_until(c.created_at, p.buy64, p.dropout_after, :'today'::date)
           AS alive_until
FROM customers c JOIN pg_temp.bench_profile(:n) AS p ON p.id = c.id;

-- Statistics, so that the deals are joined to these small tables by hashing the small
-- side (which keeps the deals in id order) rather than by sorting a million rows.
ANALYZE bench_stages;
ANALYZE bench_offer_now;
ANALYZE bench_cust;

INSERT INTO deals (id, external_id, customer_id, pipeline, stage, product, revenue_type,
                   amount, mrr, expected_close_date, closed_at, contract_end_date,
                   version, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT r.id,
       CASE WHEN r.id % 4 = 0 THEN 'bench-deal-' || r.id END,
       r.customer_id, r.pipeline,
       CASE r.state WHEN 'open'
                    THEN st.open_keys[1 + least(r.stage_pick % cardinality(st.open_keys),
                                                (r.stage_pick >> 3)
                                                    % cardinality(st.open_keys))]
                    WHEN 'won' THEN st.won_key ELSE st.lost_key END,
       r.product,
       CASE WHEN r.recurring THEN 'recurring' ELSE 'one_time' END,
       r.amount,
       CASE WHEN r.recurring THEN r.amount / 12 END,
       (r.created + make_interval(days => r.expect_days))::date,
       r.closed,
       CASE WHEN r.recurring AND r.state = 'won'
            THEN (r.closed + make_interval(years => r.term_years))::date END,
       1,
       r.created,
       CASE WHEN r.state = 'open' THEN r.created + (:'today'::date - r.created) * r.frac2
            ELSE (r.closed + time '12:00') AT TIME ZONE 'UTC' END
FROM (SELECT b.*,
             CASE WHEN b.state = 'open'
                  THEN b.open_from + (:'today'::date - b.open_from) * b.frac
                  ELSE greatest(b.cust_created + interval '1 hour',
                                (b.closed - b.close_days)
                                    + make_interval(secs => b.secs::double precision))
             END AS created,
             o.keys[1 + b.variant % cardinality(o.keys)] AS product,
             b.sub AND b.recurring_wish AND o.keys IS NOT NULL AS recurring,
             CASE WHEN b.sub AND b.recurring_wish AND o.keys IS NOT NULL
                  THEN 12 * o.prices[1 + b.variant % cardinality(o.keys)] * b.seats
                  ELSE round(100 * (300 + b.x * b.x / 40) * b.spend)::bigint
             END AS amount
      FROM (SELECT a.*,
                   CASE WHEN a.is_open THEN 'open'
                        WHEN a.won_wish AND (a.alive_until IS NULL
                                             OR a.closed <= a.alive_until) THEN 'won'
                        ELSE 'lost' END AS state
            FROM (SELECT a.*,
                         CASE WHEN a.is_open THEN NULL
                              ELSE a.closed_from
                                   + (a.closed_pick
                                      % (:'today'::date - a.closed_from + 1))::int
                         END AS closed,
                         greatest(a.cust_created + interval '1 hour',
                                  :'today'::date - interval '240 days') AS open_from
                  FROM (SELECT h.g AS id,
                               c.id AS customer_id,
                               c.created_at AS cust_created,
                               CASE WHEN h.h2 % 10 < 5 THEN 'new_business'
                                    WHEN h.h2 % 10 < 7 THEN 'upsell'
                                    WHEN h.h2 % 10 < 8 THEN 'cross_sell'
                                    ELSE 'renewal' END AS pipeline,
                               (h.h2 >> 4) % 20 < 4 AS is_open,
                               (h.h3 >> 26) % 64 < c.buy64 AND NOT c.prospect AS won_wish,
                               c.alive_until,
                               c.spend,
                               (h.h2 >> 9) % 4096 AS stage_pick,
                               CASE WHEN (h.h3 >> 4) % 16 = 0 THEN NULL
                                    ELSE (h.h3 >> 8) % 10 >= 3 END AS sub,
                               CASE WHEN (h.h3 >> 8) % 10 < 3 THEN ((h.h3 >> 12) % 2)::int
                                    ELSE (c.f0 + ((h.h3 >> 12) % c.families)::int * c.step)
                                         % 10
                               END AS fam,
                               CASE WHEN (h.h3 >> 16) % 10 < 6 THEN 1
                                    WHEN (h.h3 >> 16) % 10 < 9 THEN 2 ELSE 3 END AS tier,
                               (h.h3 >> 20) AS variant,
                               h.h3 % 2 = 0 AS recurring_wish,
                               1 + (h.h2 >> 16) % 20 AS seats,
                               (h.h2 >> 16) % 1000 AS x,
                               (1 + (h.h2 >> 28) % 2)::int AS term_years,
                               (30 + (h.h3 >> 24) % 90)::int AS expect_days,
                               (1 + h.h4 % 120)::int AS close_days,
                               h.h4 >> 7 AS closed_pick,
                               ((h.h4 >> 8) % 100000) / 100000.0::double precision AS frac,
                               ((h.h1 >> 20) % 1000) / 1000.0::double precision AS frac2,
                               (h.h1 >> 8) % 86400 AS secs,
                               greatest(:'today'::date - 1460, c.created_at::date + 1)
                                   AS closed_from
                        FROM pg_temp.bench_hashes(:deals, 11) AS h
                        JOIN bench_cust AS c1 ON c1.id = 1 + h.h1 % :n
                        JOIN bench_cust AS c2 ON c2.id = 1 + h.h5 % :n
                        CROSS JOIN LATERAL (SELECT (CASE WHEN c1.buy64 >= c2.buy64
                                                         THEN c1 ELSE c2 END).*) AS c
                        OFFSET 0) AS a
                  OFFSET 0) AS a
            OFFSET 0) AS b
      LEFT JOIN bench_offer_now AS o
        ON o.subscription = b.sub AND o.idx = b.fam AND o.tier = least(b.tier, o.max_tier)
      OFFSET 0) AS r
JOIN bench_stages AS st ON st.pipeline = r.pipeline;

-- Ids are 5 (deal id - 1) + 1..5: increasing with the deal and the entry, and
-- independent of the order in which the scan meets the deals.
INSERT INTO deal_stage_history (id, deal_id, pipeline, stage, entered_at)
OVERRIDING SYSTEM VALUE
SELECT 5 * (d.id - 1) + e.i, d.id, d.pipeline,
       CASE WHEN e.i = x.entries THEN d.stage ELSE st.open_keys[e.i] END,
       CASE WHEN x.entries = 1 THEN x.last_at
            ELSE d.created_at
                 + (x.last_at - d.created_at) * ((e.i - 1)::double precision
                                                 / (x.entries - 1)) END
FROM deals d
JOIN bench_stages AS st ON st.pipeline = d.pipeline
CROSS JOIN LATERAL (SELECT (d.id * 2654435761) % 4294967296 AS hx) AS y
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.closed_at IS NULL THEN array_position(st.open_keys, d.stage)
                WHEN d.stage = st.won_key
                THEN 1 + greatest(cardinality(st.open_keys)
                                  - least((y.hx >> 9) % 3, (y.hx >> 14) % 3), 0)
                ELSE 1 + least((y.hx >> 9) % (cardinality(st.open_keys) + 1),
                               (y.hx >> 14) % (cardinality(st.open_keys) + 1))
           END AS entries,
           CASE WHEN d.closed_at IS NULL THEN d.updated_at
                ELSE (d.closed_at + time '12:00') AT TIME ZONE 'UTC' END AS last_at
) AS x
CROSS JOIN LATERAL generate_series(1, x.entries) AS e (i);

SELECT restore_sql FROM bench_ddl ORDER BY restore_order, restore_sql \gexec

SELECT setval(pg_get_serial_sequence('deals', 'id'), greatest(:deals, 1)::bigint,
              :deals > 0) \gset
SELECT setval(pg_get_serial_sequence('deal_stage_history', 'id'),
              greatest(5 * :deals, 1)::bigint, :deals > 0) \gset

COMMIT;

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
