-- The published results of the analytics worker (SPEC sections 4, 5 and 8). A run
-- replaces them in one transaction, so a reader (one statement) sees the old run or the
-- new one, never a mix.

-- One row: what the published results cover.
CREATE TABLE analytics_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    computed_version bigint,        -- the data version of the published run; NULL: none
    today            date,          -- T of that run
    month            date,          -- M of that run
    computed_at      timestamptz
);
INSERT INTO analytics_state DEFAULT VALUES;

-- Whole documents, each the body of one analytics response (without as_of, which is
-- the document named 'as_of'): 'ltv:industry', 'ltv:industry,size_band', 'tiers', ...
CREATE TABLE analytics_docs (
    name text PRIMARY KEY,
    body text NOT NULL
);

-- Month series: kind 'ltv' keeps one row per (axis, month, segment) and a run rewrites
-- only month M (earlier months stay: the LTV history); kind 'mrr_movements' keeps one
-- row per month and a run rewrites all of them.
CREATE TABLE analytics_series (
    kind  text    NOT NULL,
    key   text    NOT NULL,        -- the axis for 'ltv', '' otherwise
    month date    NOT NULL,
    pos   integer NOT NULL,        -- the row's place within its month
    body  text    NOT NULL,
    PRIMARY KEY (kind, key, month, pos)
);

-- Per-customer metrics (the "metrics" object of GET /v1/customers/{id}), with the
-- columns the customer list filters and the quadrant lists order by.
CREATE TABLE customer_metrics (
    customer_id     bigint PRIMARY KEY,
    revenue_to_date bigint NOT NULL,
    tier            text,
    quadrant        text,
    phase           text NOT NULL,
    potential       double precision,
    body            text NOT NULL,
    hash            bigint NOT NULL  -- of the row's text: a run rewrites only changed rows
);
CREATE INDEX customer_metrics_quadrant
    ON customer_metrics (quadrant, revenue_to_date DESC, customer_id);
CREATE INDEX customer_metrics_tier ON customer_metrics (tier, customer_id);
CREATE INDEX customer_metrics_phase ON customer_metrics (phase, customer_id);

-- The worker's runs, newest kept (GET /v1/analytics/status).
CREATE TABLE analytics_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    duration_ms  double precision,
    data_version bigint,
    status       text NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
    error        text,
    host         text
);
