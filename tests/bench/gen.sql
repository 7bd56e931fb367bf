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
-- Sections, each a function of its own row count variable (default in brackets):
--   customers  :n         [100000]
--   (later issues add: products, deals :deals [1000000], deal_stage_history,
--    mrr_lines :mrr_lines [2000000], signals :signals [500000], each a section of
--    the same shape below the customers one.)

\set QUIET on
\set ON_ERROR_STOP on

\if :{?n}
\else
\set n 100000
\endif

SET synchronous_commit = off;
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
    IF EXISTS (SELECT 1 FROM customers) THEN
        RAISE EXCEPTION 'gen.sql needs an empty customers table';
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
-- (next sections: products, deals, deal_stage_history, mrr_lines, signals)
-- ---------------------------------------------------------------------------------

-- The load is one committed change as far as ltvd's caches are concerned.
UPDATE data_version SET version = version + 1;
NOTIFY ltvd_data;

-- Vacuum now so that neither hint-bit writes on first reads nor an autovacuum of the
-- freshly loaded tables lands in the middle of a measurement.
VACUUM ANALYZE customers;
