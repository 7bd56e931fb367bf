-- The schema of every resource of SPEC section 3, the bookkeeping tables of the
-- HTTP core (API keys, idempotency records, the data version) and the four default
-- pipelines.  Timestamps are timestamptz and always written by ltvd itself, so that
-- LTVD_TODAY governs them (SPEC section 2); money is bigint minor units.

CREATE FUNCTION ltvd_ts(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

-- One row: the version of the data, bumped by every committed change together with a
-- NOTIFY on channel ltvd_data (see src/db/tx.c).
CREATE TABLE data_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint  NOT NULL
);
INSERT INTO data_version (version) VALUES (0);

CREATE TABLE settings (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    data       jsonb   NOT NULL,
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (data) VALUES ('{
  "dormant_after_days": 365, "loyal_threshold": 12, "quadrant_percentile": 50,
  "max_lifespan_months": 120, "nps_detractor_max": 6, "upsell_usage_threshold": 0.8,
  "cross_sell_min_confidence": 0.5, "cross_sell_min_support": 3,
  "default_gross_margin": 0.8,
  "weights": {"size": 0.3, "whitespace": 0.3, "engagement": 0.2, "usage": 0.2},
  "clv_horizon_months": 36, "clv_monthly_discount": 0.01}');

CREATE TABLE api_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text   NOT NULL,
    scope      text   NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    hash       bytea  NOT NULL UNIQUE CHECK (length(hash) = 32),
    prefix     text   NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- Any change to a key invalidates every process's key cache (SPEC section 2).
CREATE FUNCTION ltvd_api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ltvd_keys', '');
    RETURN NULL;
END $$;
CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ltvd_api_keys_changed();

CREATE TABLE idempotency_records (
    api_key_id  bigint NOT NULL,
    idem_key    text   NOT NULL,
    method      text   NOT NULL,
    path        text   NOT NULL,
    body_sha256 bytea  NOT NULL,
    status      integer NOT NULL,
    headers     jsonb  NOT NULL,
    body        text   NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, idem_key, method, path)
);
CREATE INDEX idempotency_records_created_at ON idempotency_records (created_at);

CREATE TABLE business_units (
    key        text PRIMARY KEY,
    name       text NOT NULL,
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE products (
    key           text PRIMARY KEY,
    name          text NOT NULL,
    business_unit text NOT NULL REFERENCES business_units (key),
    family        text NOT NULL,
    tier          integer NOT NULL DEFAULT 1 CHECK (tier >= 1),
    monthly_price bigint  NOT NULL DEFAULT 0
                  CHECK (monthly_price BETWEEN 0 AND 9007199254740991),
    gross_margin  double precision CHECK (gross_margin BETWEEN 0 AND 1),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX products_business_unit ON products (business_unit);
CREATE INDEX products_family ON products (family, tier);

CREATE TABLE customers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id         text,
    name                text NOT NULL,
    industry            text,
    employee_count      integer CHECK (employee_count >= 0),
    annual_revenue      bigint CHECK (annual_revenue BETWEEN 0 AND 9007199254740991),
    acquisition_channel text,
    country             text,
    properties          jsonb NOT NULL DEFAULT '{}',
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    archived_at         timestamptz
);
-- An archived customer keeps its external id for audit; a live one may take it again.
CREATE UNIQUE INDEX customers_external_id ON customers (external_id)
    WHERE archived_at IS NULL;
CREATE INDEX customers_name_prefix ON customers (lower(name) text_pattern_ops, id)
    WHERE archived_at IS NULL;
CREATE INDEX customers_industry ON customers (industry, id) WHERE archived_at IS NULL;
CREATE INDEX customers_country ON customers (country, id) WHERE archived_at IS NULL;

CREATE TABLE pipelines (
    key        text PRIMARY KEY,
    name       text NOT NULL,
    kind       text NOT NULL
               CHECK (kind IN ('new_business', 'upsell', 'cross_sell', 'renewal')),
    seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- "oldest pipeline" order
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline_stages (
    pipeline    text NOT NULL REFERENCES pipelines (key) ON DELETE CASCADE,
    key         text NOT NULL,
    name        text NOT NULL,
    position    integer NOT NULL,
    probability double precision NOT NULL CHECK (probability BETWEEN 0 AND 1),
    state       text NOT NULL CHECK (state IN ('open', 'won', 'lost')),
    PRIMARY KEY (pipeline, key),
    UNIQUE (pipeline, position) DEFERRABLE INITIALLY DEFERRED
);

INSERT INTO pipelines (key, name, kind) VALUES
    ('new_business', 'New business', 'new_business'),
    ('upsell', 'Upsell', 'upsell'),
    ('cross_sell', 'Cross-sell', 'cross_sell'),
    ('renewal', 'Renewal', 'renewal');

INSERT INTO pipeline_stages (pipeline, key, name, position, probability, state) VALUES
    ('new_business', 'lead', 'Lead', 1, 0.10, 'open'),
    ('new_business', 'qualified', 'Qualified', 2, 0.30, 'open'),
    ('new_business', 'proposal', 'Proposal', 3, 0.50, 'open'),
    ('new_business', 'negotiation', 'Negotiation', 4, 0.80, 'open'),
    ('new_business', 'won', 'Won', 5, 1, 'won'),
    ('new_business', 'lost', 'Lost', 6, 0, 'lost'),
    ('upsell', 'opportunity_recognised', 'Opportunity recognised', 1, 0.10, 'open'),
    ('upsell', 'needs_confirmed', 'Needs confirmed', 2, 0.25, 'open'),
    ('upsell', 'proposal', 'Proposal', 3, 0.50, 'open'),
    ('upsell', 'negotiation', 'Negotiation', 4, 0.75, 'open'),
    ('upsell', 'won', 'Won', 5, 1, 'won'),
    ('upsell', 'lost', 'Lost', 6, 0, 'lost'),
    ('cross_sell', 'opportunity_recognised', 'Opportunity recognised', 1, 0.10, 'open'),
    ('cross_sell', 'needs_confirmed', 'Needs confirmed', 2, 0.25, 'open'),
    ('cross_sell', 'proposal', 'Proposal', 3, 0.50, 'open'),
    ('cross_sell', 'negotiation', 'Negotiation', 4, 0.75, 'open'),
    ('cross_sell', 'won', 'Won', 5, 1, 'won'),
    ('cross_sell', 'lost', 'Lost', 6, 0, 'lost'),
    ('renewal', 'preparation', 'Preparation', 1, 0.50, 'open'),
    ('renewal', 'terms_presented', 'Terms presented', 2, 0.70, 'open'),
    ('renewal', 'agreed', 'Agreed', 3, 0.90, 'open'),
    ('renewal', 'signed', 'Signed', 4, 1, 'won'),
    ('renewal', 'lost', 'Lost', 5, 0, 'lost');

CREATE TABLE deals (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id         text UNIQUE,
    customer_id         bigint NOT NULL REFERENCES customers (id),
    pipeline            text   NOT NULL,
    stage               text   NOT NULL,
    product             text REFERENCES products (key),
    revenue_type        text   NOT NULL DEFAULT 'one_time'
                        CHECK (revenue_type IN ('one_time', 'recurring')),
    amount              bigint NOT NULL DEFAULT 0
                        CHECK (amount BETWEEN 0 AND 9007199254740991),
    mrr                 bigint CHECK (mrr BETWEEN 0 AND 9007199254740991),
    expected_close_date date,
    closed_at           date,
    contract_end_date   date,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    FOREIGN KEY (pipeline, stage) REFERENCES pipeline_stages (pipeline, key)
        ON UPDATE CASCADE
);
CREATE INDEX deals_customer ON deals (customer_id, id);
CREATE INDEX deals_pipeline_stage ON deals (pipeline, stage);
CREATE INDEX deals_product ON deals (product);

CREATE TABLE deal_stage_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deal_id    bigint NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    pipeline   text   NOT NULL,
    stage      text   NOT NULL,
    entered_at timestamptz NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, entered_at, id);

CREATE TABLE mrr_lines (
    customer_id bigint NOT NULL REFERENCES customers (id),
    product     text   NOT NULL REFERENCES products (key),
    month       date   NOT NULL CHECK (extract(day FROM month) = 1),
    mrr         bigint NOT NULL CHECK (mrr BETWEEN 0 AND 9007199254740991),
    PRIMARY KEY (customer_id, product, month)
);
CREATE INDEX mrr_lines_month ON mrr_lines (month);
CREATE INDEX mrr_lines_product ON mrr_lines (product);

CREATE TABLE signals (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id          bigint REFERENCES customers (id),
    customer_external_id text,
    type                 text NOT NULL CHECK (type IN ('email_open', 'email_click',
                         'web_visit', 'meeting', 'call', 'support_ticket', 'usage',
                         'feature_interest', 'nps')),
    occurred_at          timestamptz NOT NULL,
    value                double precision,
    product              text REFERENCES products (key),
    source               text NOT NULL DEFAULT 'api',
    event_id             text,
    created_at           timestamptz NOT NULL,
    UNIQUE (source, event_id),
    CHECK (customer_id IS NOT NULL OR customer_external_id IS NOT NULL)
);
CREATE INDEX signals_customer ON signals (customer_id, occurred_at);
CREATE INDEX signals_unmatched ON signals (customer_external_id) WHERE customer_id IS NULL;
CREATE INDEX signals_product ON signals (product);
