-- BIT engine (docs/reference/bit.md): signal types, append-only signals, sovereign scores.
-- depends: 0003_hubs_targets_subhubs
-- Everything below is schema-qualified; what is not (operators, built-in
-- functions and types) binds to pg_catalog and nothing else.
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE TABLE outreach.bit_signal_types (
    signal_type    text PRIMARY KEY CHECK (signal_type ~ '\S'),
    source_hub     text NOT NULL,
    weight_class   text NOT NULL CHECK (weight_class IN ('BASE', 'HIGH', 'MEDIUM', 'LOW')),
    points         numeric NOT NULL CHECK (points >= 0),
    half_life_days numeric CHECK (half_life_days > 0),
    description    text
);
COMMENT ON TABLE outreach.bit_signal_types IS
    'BIT signal catalogue: default points and half-life per signal type; NULL half_life_days = no decay (docs/reference/bit.md).';

-- Half-lives: a verified domain is a standing fact (no decay); a reply or a
-- news mention goes stale within weeks; renewals and people moves in months.
INSERT INTO outreach.bit_signal_types (signal_type, source_hub, weight_class, points, half_life_days, description) VALUES
    ('DOMAIN_VERIFIED',       'company-target',      'BASE',   10, NULL, 'The company domain was verified'),
    ('DOL_RENEWAL_PROXIMITY', 'dol-filings',         'HIGH',   25, 90,   'A benefit plan renewal is near'),
    ('SLOT_FILLED',           'people-intelligence', 'MEDIUM', 15, 180,  'A decision-maker slot was filled'),
    ('EXECUTIVE_MOVEMENT',    'talent-flow',         'MEDIUM', 15, 90,   'An executive joined or left'),
    ('NEWS_MENTION',          'blog-content',        'LOW',     5, 30,   'The company was in the news'),
    ('ENGAGEMENT_REPLY',      'outreach-execution',  'HIGH',   25, 45,   'The company replied to outreach');

CREATE TABLE outreach.bit_signals (
    signal_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outreach_id       uuid NOT NULL,
    company_unique_id text NOT NULL,
    signal_type       text NOT NULL REFERENCES outreach.bit_signal_types (signal_type),
    points            numeric NOT NULL CHECK (points >= 0),
    occurred_at       timestamptz NOT NULL,
    dedup_key         text,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bit_signals_spine_fkey FOREIGN KEY (outreach_id, company_unique_id)
        REFERENCES outreach.outreach (outreach_id, company_unique_id),
    CONSTRAINT bit_signals_dedup_key UNIQUE (outreach_id, signal_type, dedup_key)
);
CREATE INDEX bit_signals_outreach_occurred_idx ON outreach.bit_signals (outreach_id, occurred_at);
COMMENT ON TABLE outreach.bit_signals IS
    'Append-only BIT signal events; idempotent on (outreach_id, signal_type, dedup_key) (docs/reference/bit.md).';

CREATE TABLE outreach.bit_scores (
    outreach_id       uuid PRIMARY KEY,
    company_unique_id text NOT NULL,
    score             numeric NOT NULL CHECK (score >= 0 AND score <= 100),
    score_tier        text NOT NULL CHECK (score_tier IN ('COLD', 'WARM', 'HOT', 'BURNING')),
    signal_count      integer NOT NULL CHECK (signal_count >= 0),
    last_signal_at    timestamptz,
    as_of             timestamptz NOT NULL,
    computed_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bit_scores_spine_fkey FOREIGN KEY (outreach_id, company_unique_id)
        REFERENCES outreach.outreach (outreach_id, company_unique_id)
);
COMMENT ON TABLE outreach.bit_scores IS
    'Sovereign: the current BIT score per outreach_id, written only by outreach.fn_refresh_bit_scores (docs/reference/bit.md).';

GRANT SELECT ON outreach.bit_signal_types, outreach.bit_signals, outreach.bit_scores
    TO outreach_hub_writer, outreach_governor;
