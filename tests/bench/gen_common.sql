-- Included by gen.sql and gen_analytics.sql (psql \ir): the session settings of a bulk
-- load, the one source of pseudo-randomness of the benchmark data, and what the two
-- files must agree on (each customer's profile, the catalogue's families).

SET synchronous_commit = off;
SET TimeZone = 'UTC'; -- timestamptz::date below must not depend on the server's zone
SET client_min_messages = warning;
-- A sequential scan then always starts at the table's first block, so INSERT ... SELECT
-- FROM a freshly loaded table (without ORDER BY) sees its rows in insertion order.
SET synchronize_seqscans = off;

-- bench_hashes(n, salt): rows g = 1..n with five 32-bit hashes of (g, salt),
-- (g, salt + 1), ..., (g, salt + 4).  The mix is multiply, xor-shift,
-- multiply, xor-shift with every product below 2^63; fields are cut out of a hash with
-- shifts and modulo.  OFFSET 0 keeps the planner from pulling the subqueries up, which
-- would copy each hash expression into every place the caller uses it.
CREATE FUNCTION pg_temp.bench_hashes(n bigint, salt bigint)
    RETURNS TABLE (g bigint, h1 bigint, h2 bigint, h3 bigint, h4 bigint, h5 bigint)
    LANGUAGE sql IMMUTABLE AS $$
SELECT g, y1 # (y1 >> 13), y2 # (y2 >> 13), y3 # (y3 >> 13), y4 # (y4 >> 13),
       y5 # (y5 >> 13)
FROM (SELECT g,
             ((x1 # (x1 >> 16)) * 1540483477) % 4294967296 AS y1,
             ((x2 # (x2 >> 16)) * 1540483477) % 4294967296 AS y2,
             ((x3 # (x3 >> 16)) * 1540483477) % 4294967296 AS y3,
             ((x4 # (x4 >> 16)) * 1540483477) % 4294967296 AS y4,
             ((x5 # (x5 >> 16)) * 1540483477) % 4294967296 AS y5
      FROM (SELECT g,
                   (g * 2654435761 + salt * 40503) % 4294967296 AS x1,
                   (g * 2654435761 + (salt + 1) * 40503) % 4294967296 AS x2,
                   (g * 2654435761 + (salt + 2) * 40503) % 4294967296 AS x3,
                   (g * 2654435761 + (salt + 3) * 40503) % 4294967296 AS x4,
                   (g * 2654435761 + (salt + 4) * 40503) % 4294967296 AS x5
            FROM generate_series(1, n) AS g
            OFFSET 0) AS x
      OFFSET 0) AS y
OFFSET 0
$$;

-- bench_profile: per customer (ids 1..max), what the deals, MRR lines and signals of
-- that customer share, so that the three sections agree without reading each other, and
-- so that customers differ the way the CLV models (SPEC 4.10) assume they do:
--   prospect      12 in 100 customers never buy (their deals are open or lost, no MRR);
--   f0, step      its subscription families are f0, f0 + step, f0 + 2 step, ... (mod
--                 10), step 1 for 2 customers in 5, so that families co-occur the way
--                 cross-sell rules look for;
--   families      how many of those it uses (1..3);
--   subscriber    17 in 20 of the paying customers have MRR lines;
--   buy64         how many of its closed deals are won, in 64ths: 2 + 62 u^2 (u
--                 uniform), so most customers buy rarely and a few almost always;
--                 gen.sql also gives the likelier buyers more deals (purchase rates
--                 then differ as widely as the BG/NBD model needs to be fitted);
--   dropout_after the number of purchases after which it buys nothing more, its
--                 subscriptions end and it falls silent: geometric with a parameter
--                 p uniform in (0, 1) that differs between customers, as the BG/NBD
--                 model of SPEC 4.10 assumes; 1000 stands for never;
--   spend         a factor on its one-time amounts, 0.25..4 (log-uniform), so that
--                 mean spend differs between customers (Gamma-Gamma).
CREATE FUNCTION pg_temp.bench_profile(n bigint)
    RETURNS TABLE (id bigint, prospect boolean, f0 int, step int, families int,
                   subscriber boolean, buy64 int, dropout_after int,
                   spend double precision)
    LANGUAGE sql IMMUTABLE AS $$
SELECT g, h1 % 100 < 12, ((h1 >> 8) % 10)::int,
       (ARRAY[1, 1, 3, 7, 9])[1 + (h1 >> 12) % 5],
       (1 + (h1 >> 16) % 3)::int,
       h1 % 100 >= 12 AND (h1 >> 20) % 100 < 85,
       (2 + 62 * (((h2 % 1000) + 0.5) / 1000.0) ^ 2)::int,
       least(1000, 1 + floor(ln((h3 % 1000 + 0.5) / 1000.0::double precision)
                             / ln(1 - ((h2 >> 8) % 1000 + 0.5) / 1000.0::double precision)))
           ::int,
       0.25 * 2 ^ (((h4 >> 8) % 1000) / 250.0::double precision)
FROM pg_temp.bench_hashes(n, 5)
$$;

-- bench_alive_until(created, buy64, dropout_after, today): the last day a customer
-- created at `created` buys (NULL: it still does at T).  Its deals close in the 4 years
-- up to T (from the day after its creation), about 5.4 x buy64 / 64 of them purchases
-- (10 deals a customer, 8 in 10 closed, 2 in 3 of those one-time), so its
-- dropout_after-th purchase comes about that share of the way through.
CREATE FUNCTION pg_temp.bench_alive_until(created timestamptz, buy64 int,
                                          dropout_after int, today date)
    RETURNS date LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN dropout_after * 64 < 5.4 * buy64
                THEN greatest(today - 1460, created::date + 1)
                     + (dropout_after * 64 / (5.4 * buy64)
                        * (today - greatest(today - 1460, created::date + 1)))::int
           END;

-- The catalogue as the generators see it (gen.sql inserts it): families split into
-- subscription families (every product has a monthly price; 10 of them, idx 0..9) and
-- one-time families (consulting, training; idx 0..1), each numbered by name; per family
-- and tier its products and their prices, by key.
CREATE TEMPORARY VIEW bench_families AS
SELECT family, subscription,
       (row_number() OVER (PARTITION BY subscription ORDER BY family) - 1)::int AS idx,
       max_tier
FROM (SELECT family, bool_and(monthly_price > 0) AS subscription, max(tier) AS max_tier
      FROM products WHERE key LIKE 'bench-%' GROUP BY family) AS f;

CREATE TEMPORARY VIEW bench_offer AS
SELECT f.subscription, f.idx, f.max_tier, p.tier,
       array_agg(p.key ORDER BY p.key) AS keys,
       array_agg(p.monthly_price ORDER BY p.key) AS prices
FROM products p JOIN bench_families f USING (family)
WHERE p.key LIKE 'bench-%'
GROUP BY f.subscription, f.idx, f.max_tier, p.tier;
