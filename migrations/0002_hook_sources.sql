-- Hook sources: the senders of signed inbound webhooks (SPEC section 6). A secret must
-- stay usable as an HMAC key, so it is stored as generated (unlike API keys, which are
-- stored as hashes); the API shows it only in the reply that creates it. A rotation
-- keeps the replaced secret valid until previous_valid_until.
CREATE TABLE hook_sources (
    name                 text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    secret               text NOT NULL CHECK (secret ~ '^[0-9a-f]{64}$'),
    previous_secret      text CHECK (previous_secret ~ '^[0-9a-f]{64}$'),
    previous_valid_until timestamptz,
    created_at           timestamptz NOT NULL,
    rotated_at           timestamptz,
    CHECK ((previous_secret IS NULL) = (previous_valid_until IS NULL))
);
