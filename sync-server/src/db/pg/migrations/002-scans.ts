import type { PgMigration } from '../pg-migrate.js';

/**
 * Lane uploads: scans, overrides, acknowledgements, alerts and the hourly roll-up (SQLite steps
 * 001–004 for these tables), laid out for billions of scans.
 *
 * - `lane_records` is the ledger of every record a lane sent, whatever its type: (lane, seq) and
 *   the record id are unique here. A partitioned table can only enforce uniqueness on keys that
 *   contain its partition key, so `scans` cannot; an upload first inserts its records here
 *   (`ON CONFLICT DO NOTHING`) and stores only those that went in, and "is seq n held" is one
 *   primary-key probe instead of one per record table. `at` finds a record's scan partition.
 * - `scans` is partitioned by the lane's scan time (`at`, epoch ms) in UTC calendar months, named
 *   `scans_YYYY_MM`, with a default partition for times no month covers (a lane with a wrong
 *   clock). `ensure_scan_partitions(ms, n)` adds the n months from the one holding ms, moving
 *   rows the default partition holds for them; `drop_scan_partitions_before(ms)` drops the months
 *   that end at or before ms (retention). `no` (arrival number) comes from one sequence.
 * - Indexes serve the console: scans newest first (`no`), by subject and time, by checkpoint and
 *   time, by lane, by record id; alerts newest first, per checkpoint, unacknowledged.
 */
export const pgMigration002: PgMigration = {
  version: 2,
  name: 'scans',
  async up(client) {
    await client.query(`
      CREATE TABLE lane_records (
        kiosk_no    bigint NOT NULL REFERENCES kiosks (no),
        seq         bigint NOT NULL,
        id          uuid NOT NULL UNIQUE,
        kind        text NOT NULL CHECK (kind IN ('scan', 'override', 'ack')),
        at          bigint NOT NULL,
        received_at bigint NOT NULL,
        PRIMARY KEY (kiosk_no, seq)
      );
      -- Rows arrive in received_at order: a block-range index finds old ones for retention.
      CREATE INDEX lane_records_received ON lane_records USING brin (received_at);

      CREATE SEQUENCE scans_no_seq AS bigint;
      CREATE TABLE scans (
        no             bigint NOT NULL DEFAULT nextval('scans_no_seq'),
        kiosk_no       bigint NOT NULL REFERENCES kiosks (no),
        seq            bigint NOT NULL,
        id             uuid NOT NULL,
        checkpoint_id  text NOT NULL,
        at             bigint NOT NULL,
        received_at    bigint NOT NULL,
        source         text NOT NULL,
        format         text,
        subject_key    bigint,
        subject_sealed text,
        decision       text NOT NULL,
        reasons        jsonb NOT NULL,
        warnings       jsonb NOT NULL,
        alert          boolean NOT NULL,
        PRIMARY KEY (no, at)
      ) PARTITION BY RANGE (at);
      ALTER SEQUENCE scans_no_seq OWNED BY scans.no;
      CREATE TABLE scans_default PARTITION OF scans DEFAULT;
      CREATE INDEX scans_id ON scans (id);
      CREATE INDEX scans_subject_at ON scans (subject_key, at) WHERE subject_key IS NOT NULL;
      CREATE INDEX scans_checkpoint_at ON scans (checkpoint_id, at);
      CREATE INDEX scans_kiosk_seq ON scans (kiosk_no, seq);

      CREATE FUNCTION ensure_scan_partitions(from_ms bigint, months integer) RETURNS integer
      LANGUAGE plpgsql AS $fn$
      DECLARE
        first_month timestamp := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC');
        lo timestamp;
        lo_ms bigint;
        hi_ms bigint;
        part text;
        created integer := 0;
      BEGIN
        -- Two servers starting together: one adds the months, the other then finds them.
        PERFORM pg_advisory_xact_lock(hashtext('ensure_scan_partitions'));
        FOR i IN 0 .. months - 1 LOOP
          lo := first_month + make_interval(months => i);
          lo_ms := (extract(epoch FROM lo) * 1000)::bigint;
          hi_ms := (extract(epoch FROM lo + interval '1 month') * 1000)::bigint;
          part := 'scans_' || to_char(lo, 'YYYY_MM');
          CONTINUE WHEN to_regclass(part) IS NOT NULL;
          EXECUTE format('CREATE TABLE %I (LIKE scans INCLUDING DEFAULTS)', part);
          EXECUTE format(
            'WITH moved AS (DELETE FROM scans_default WHERE at >= %s AND at < %s RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved', lo_ms, hi_ms, part);
          EXECUTE format('ALTER TABLE scans ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, lo_ms, hi_ms);
          created := created + 1;
        END LOOP;
        RETURN created;
      END
      $fn$;

      CREATE FUNCTION drop_scan_partitions_before(cutoff_ms bigint) RETURNS integer
      LANGUAGE plpgsql AS $fn$
      DECLARE
        part text;
        dropped integer := 0;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('ensure_scan_partitions'));
        FOR part IN
          SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'scans'::regclass AND c.relname ~ '^scans_[0-9]{4}_[0-9]{2}$'
            AND (extract(epoch FROM to_date(substr(c.relname, 7), 'YYYY_MM')::timestamp
                 + interval '1 month') * 1000)::bigint <= cutoff_ms
          ORDER BY c.relname
        LOOP
          EXECUTE format('DROP TABLE %I', part);
          dropped := dropped + 1;
        END LOOP;
        RETURN dropped;
      END
      $fn$;

      -- Scans per checkpoint, hour (epoch ms of the hour's start) and lane decision.
      CREATE TABLE scan_hourly (
        checkpoint_id text NOT NULL,
        hour          bigint NOT NULL,
        decision      text NOT NULL,
        count         bigint NOT NULL,
        PRIMARY KEY (hour, checkpoint_id, decision)
      );

      CREATE TABLE overrides (
        no                bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kiosk_no          bigint NOT NULL REFERENCES kiosks (no),
        seq               bigint NOT NULL,
        id                uuid NOT NULL UNIQUE,
        scan_id           uuid NOT NULL,
        at                bigint NOT NULL,
        received_at       bigint NOT NULL,
        original_decision text NOT NULL,
        decision          text NOT NULL,
        officer_id        text NOT NULL,
        supervisor_id     text,
        reason            text NOT NULL,
        note              text NOT NULL,
        verified          boolean, -- NULL: not judged yet
        issues            jsonb,   -- array of reason codes, NULL when none
        UNIQUE (kiosk_no, seq)
      );
      CREATE INDEX overrides_scan ON overrides (scan_id);

      CREATE TABLE acks (
        no          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kiosk_no    bigint NOT NULL REFERENCES kiosks (no),
        seq         bigint NOT NULL,
        id          uuid NOT NULL UNIQUE,
        scan_id     uuid NOT NULL,
        at          bigint NOT NULL,
        received_at bigint NOT NULL,
        decision    text NOT NULL,
        note        text NOT NULL,
        verified    boolean,
        issues      jsonb,
        UNIQUE (kiosk_no, seq)
      );
      CREATE INDEX acks_scan ON acks (scan_id);

      CREATE TABLE alerts (
        id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kind          text NOT NULL DEFAULT 'health' CHECK (kind IN ('health', 'replay', 'override')),
        at            bigint NOT NULL,
        received_at   bigint NOT NULL,
        kiosk_id      text NOT NULL REFERENCES kiosks (id),
        checkpoint_id text NOT NULL,
        scan_id       uuid NOT NULL,
        record_id     uuid,
        subject_key   bigint,
        raised_by     text NOT NULL DEFAULT 'lane' CHECK (raised_by IN ('lane', 'server')),
        issues        jsonb,
        acked_at      bigint,
        acked_by      text
      );
      CREATE UNIQUE INDEX alerts_health_scan ON alerts (scan_id) WHERE kind = 'health';
      CREATE UNIQUE INDEX alerts_record ON alerts (record_id) WHERE record_id IS NOT NULL;
      CREATE INDEX alerts_scan ON alerts (scan_id);
      CREATE INDEX alerts_checkpoint ON alerts (checkpoint_id, id);
      CREATE INDEX alerts_unacked ON alerts (id) WHERE acked_at IS NULL;
    `);
    // The month now and the next two; the server adds later months as time passes.
    await client.query('SELECT ensure_scan_partitions($1, 3)', [Date.now()]);
  },
};
