-- 0002_metrics: the ingested metrics stream (docs/metrics-schema.md) and its read position.

-- Series names ('train/loss', 'val/by_domain/copy', ...) once each; points refer to them by id.
CREATE TABLE series (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- One scalar per (run, series, step, attempt). The clustered key serves the chart's range scans on
-- (run, series, step) directly; `attempt` in the key makes a replayed line a no-op while a resumed
-- attempt's point at the same step is a separate row. `archived` = superseded by a later attempt that
-- resumed from an earlier step (kept, hidden from default queries). `value` NULL = non-finite.
CREATE TABLE points (
  run_key   INTEGER NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
  series_id INTEGER NOT NULL REFERENCES series (id),
  step      INTEGER NOT NULL,
  attempt   INTEGER NOT NULL,
  value     REAL,
  tokens    INTEGER,
  time      REAL,
  archived  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_key, series_id, step, attempt)
) WITHOUT ROWID;

-- Router statistics per (run, step, layer, kind, attempt); vectors are JSON arrays.
CREATE TABLE router_stats (
  run_key       INTEGER NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
  step          INTEGER NOT NULL,
  layer         INTEGER NOT NULL,
  kind          TEXT NOT NULL,
  attempt       INTEGER NOT NULL,
  tokens        INTEGER,
  load          TEXT NOT NULL,
  importance    TEXT,
  cv            REAL,
  max_over_mean REAL,
  entropy       REAL,
  dead          TEXT,
  by_domain     TEXT,
  archived      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_key, step, layer, kind, attempt)
) WITHOUT ROWID;

-- header, event and status records, keyed by their byte offset in the stream so a replay is a no-op.
CREATE TABLE run_events (
  run_key     INTEGER NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
  byte_offset INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  type        TEXT NOT NULL,
  kind        TEXT,
  step        INTEGER,
  time        REAL,
  message     TEXT,
  data        TEXT NOT NULL,
  PRIMARY KEY (run_key, byte_offset)
) WITHOUT ROWID;

-- Where reading a run's stream stopped: committed in the same transaction as the rows it produced.
-- The file is identified by inode and the SHA-256 of its first `head_len` (up to 4096) bytes.
CREATE TABLE ingest_cursors (
  run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  stream       TEXT NOT NULL,
  byte_offset  INTEGER NOT NULL DEFAULT 0,
  line_count   INTEGER NOT NULL DEFAULT 0,
  inode        INTEGER,
  head_len     INTEGER NOT NULL DEFAULT 0,
  head_hash    TEXT,
  attempt      INTEGER NOT NULL DEFAULT 1,
  error_count  INTEGER NOT NULL DEFAULT 0,
  blocked      TEXT,
  updated_at   REAL NOT NULL,
  PRIMARY KEY (run_id, stream)
) WITHOUT ROWID;

-- Lines that could not be ingested, and truncation or replacement of a stream.
CREATE TABLE ingest_errors (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  stream      TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('malformed', 'truncated', 'replaced', 'missing')),
  line_number INTEGER,
  byte_offset INTEGER,
  reason      TEXT NOT NULL,
  excerpt     TEXT,
  created_at  REAL NOT NULL,
  UNIQUE (run_id, stream, kind, byte_offset)
);
