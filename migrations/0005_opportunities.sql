-- Opportunities (SPEC 4.8) and the baseline of the alerts (SPEC 4.9; the alert log itself
-- is migrations/0004). The worker writes all of it inside the transaction that publishes
-- a run (src/db/analytics_opps.c), so a reader sees the opportunities of one run together
-- with that run's as_of.

-- The opportunities of the last run, every one of them (conversions and dismissals are
-- applied when reading); pos is the place in the order of SPEC 4.8, body the row as
-- served. Replaced by every run.
CREATE TABLE opportunities (
    id                    text    PRIMARY KEY,
    pos                   integer NOT NULL UNIQUE,
    customer_id           bigint  NOT NULL,
    type                  text    NOT NULL CHECK (type IN ('upsell', 'cross_sell')),
    family                text    NOT NULL,
    product               text    NOT NULL,
    quadrant              text,
    tier                  text,
    score                 double precision NOT NULL,
    expected_annual_value double precision NOT NULL,
    priority              double precision NOT NULL,
    body                  text    NOT NULL
);
CREATE INDEX opportunities_customer ON opportunities (customer_id, pos);

-- What sales did with an opportunity, by its stable id: converted into a deal (hidden for
-- good) or dismissed until a date (hidden while until >= today). Kept across runs.
CREATE TABLE opportunity_actions (
    id         text   PRIMARY KEY,
    action     text   NOT NULL CHECK (action IN ('converted', 'dismissed')),
    until      date,
    deal_id    bigint,
    created_at timestamptz NOT NULL,
    CHECK ((action = 'converted') = (deal_id IS NOT NULL)),
    CHECK ((action = 'dismissed') = (until IS NOT NULL))
);

-- The baseline the next run's change alerts compare with: one row; baseline_at is NULL
-- until the first run has recorded one.
CREATE TABLE alert_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    baseline_at timestamptz,
    nps_seen    bigint NOT NULL DEFAULT 0   -- the highest nps signal id already seen
);
INSERT INTO alert_state DEFAULT VALUES;

-- Each customer's tier, quadrant and standing at the last run.
CREATE TABLE alert_customers (
    customer_id bigint   PRIMARY KEY,
    tier        smallint,                   -- 0 platinum .. 3 bronze
    quadrant    smallint,                   -- 0 A .. 3 D
    standing    smallint NOT NULL           -- 0 prospect, 1 active, 2 churned
);

-- The renewals already announced (once per deal and contract end), until that end passes.
CREATE TABLE alert_renewals (
    deal_id      bigint NOT NULL,
    contract_end date   NOT NULL,
    PRIMARY KEY (deal_id, contract_end)
);
