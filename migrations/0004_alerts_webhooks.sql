-- Alerts (SPEC 4.9) and outbound webhooks (SPEC section 6).
--
-- alerts is an append-only log written by the analytics worker inside its publish
-- transaction. Readers page it by "the last id seen", which is only safe when ids become
-- visible in increasing order: a statement-level BEFORE INSERT trigger takes a
-- transaction-scoped advisory lock before any row gets its id, so two transactions that
-- insert alerts run one after the other and a smaller id never commits after a larger one.
--
-- The outbox: an AFTER INSERT trigger on alerts writes one webhook_deliveries row per
-- active subscription that wants the alert's type, in the same transaction that creates
-- the alert, and sends NOTIFY ltvd_outbox. The sender thread (src/hooks/sender.c) claims
-- due rows with a lease (claim, claimed_until) committed before it sends, so no lock is
-- held while a receiver answers; a process that dies mid-send leaves a lease that expires
-- and the row is claimed again. Every attempt is a row of webhook_attempts.
--
-- Scheduling runs on the database's real clock, not on LTVD_TODAY: a retry delay is a
-- duration, not a business date.

CREATE TABLE alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type        text   NOT NULL CHECK (type IN ('renewal_due', 'nps_detractor',
                           'quadrant_changed', 'tier_changed', 'opportunity_new', 'churned')),
    customer_id bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    data        jsonb  NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object')
);
CREATE INDEX alerts_type ON alerts (type, id);
CREATE INDEX alerts_customer ON alerts (customer_id, id);

CREATE FUNCTION ltvd_alerts_serialize() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7418002);
    RETURN NULL;
END $$;
CREATE TRIGGER alerts_serialize BEFORE INSERT ON alerts
    FOR EACH STATEMENT EXECUTE FUNCTION ltvd_alerts_serialize();

CREATE FUNCTION ltvd_alerts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'alerts are an append-only log';
END $$;
CREATE TRIGGER alerts_append_only BEFORE UPDATE OR DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION ltvd_alerts_append_only();

CREATE TABLE webhook_subscriptions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url        text    NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
    -- the alert types wanted; empty means every type
    events     text[]  NOT NULL DEFAULT '{}' CHECK (events <@ ARRAY['renewal_due',
                   'nps_detractor', 'quadrant_changed', 'tier_changed', 'opportunity_new',
                   'churned']),
    active     boolean NOT NULL DEFAULT true,
    -- an HMAC key, so stored as generated (like hook sources); shown only on creation
    secret     text    NOT NULL CHECK (secret ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    integer NOT NULL DEFAULT 1
);

CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint  NOT NULL REFERENCES webhook_subscriptions ON DELETE CASCADE,
    -- not a foreign key: alerts are never deleted (see alerts_append_only), and the
    -- check would cost a third of the time of inserting a large batch of alerts
    alert_id        bigint  NOT NULL,
    state           text    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed', 'gave_up')),
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- the retry window: a delivery is given up once it has failed for the give-up age
    -- counted from window_start; a manual retry opens a new window
    window_start    timestamptz NOT NULL DEFAULT now(),
    window_attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    -- the lease of the process sending it now
    claim           uuid,
    claimed_until   timestamptz,
    UNIQUE (alert_id, subscription_id)
);
-- what the sender's claim reads: per subscription, the pending rows by due time, and
-- the few rows held by a sender now
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (subscription_id, next_attempt_at, id)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_claimed ON webhook_deliveries (subscription_id)
    WHERE claim IS NOT NULL;
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

CREATE TABLE webhook_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    duration_ms  double precision NOT NULL,
    status       integer,  -- the receiver's HTTP status; null when there was no answer
    error        text      -- why there was no answer, or what the answer meant
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

CREATE FUNCTION ltvd_alerts_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (subscription_id, alert_id)
    SELECT s.id, n.id
    FROM new_alerts n
    JOIN webhook_subscriptions s ON s.active AND (s.events = '{}' OR n.type = ANY (s.events))
    ORDER BY n.id, s.id;
    IF FOUND THEN
        PERFORM pg_notify('ltvd_outbox', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER alerts_outbox AFTER INSERT ON alerts REFERENCING NEW TABLE AS new_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION ltvd_alerts_outbox();
