-- user_version 3

-- index checkpoints_by_run_step
CREATE INDEX checkpoints_by_run_step ON checkpoints (run_id, step);

-- index deployments_by_node
CREATE INDEX deployments_by_node ON deployments (node_id, id);

-- index eval_jobs_by_run
CREATE INDEX eval_jobs_by_run ON eval_jobs (run_id, id);

-- index eval_jobs_scheduled
CREATE UNIQUE INDEX eval_jobs_scheduled ON eval_jobs (run_id, kind, trigger_tokens) WHERE origin = 'schedule';

-- index evaluations_by_task
CREATE INDEX evaluations_by_task ON evaluations (task, metric);

-- index runs_by_created
CREATE INDEX runs_by_created ON runs (created_at);

-- index runs_by_node
CREATE INDEX runs_by_node ON runs (node_id);

-- index runs_by_parent
CREATE INDEX runs_by_parent ON runs (parent_run_id);

-- table attempts
CREATE TABLE attempts (
  run_id            TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt           INTEGER NOT NULL CHECK (attempt >= 1),
  resume_step       INTEGER,
  resume_checkpoint TEXT,
  started_at        REAL,
  ended_at          REAL,
  exit_code         INTEGER,
  state             TEXT,
  message           TEXT,
  header            TEXT,
  PRIMARY KEY (run_id, attempt)
) WITHOUT ROWID;

-- table checkpoints
CREATE TABLE checkpoints (
  id         INTEGER PRIMARY KEY,
  run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt    INTEGER NOT NULL,
  step       INTEGER NOT NULL,
  tokens     INTEGER,
  bytes      INTEGER,
  path       TEXT NOT NULL,
  loss       REAL,
  val_loss   REAL,
  reason     TEXT,
  status     TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'deleted', 'corrupt')),
  created_at REAL, kept TEXT NOT NULL DEFAULT '[]', verified_at REAL, verify_message TEXT, downloaded_path TEXT,
  UNIQUE (run_id, attempt, step)
);

-- table deployments
CREATE TABLE deployments (
  id             INTEGER PRIMARY KEY,
  node_id        TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  trainer_hash   TEXT NOT NULL,
  remote_dir     TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('running', 'ready', 'failed')),
  uploaded       INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
  built          INTEGER NOT NULL DEFAULT 0 CHECK (built IN (0, 1)),
  started_at     REAL NOT NULL,
  finished_at    REAL,
  build_log_tail TEXT,
  error_message  TEXT,
  error_hint     TEXT,
  facts          TEXT
);

-- table eval_jobs
CREATE TABLE eval_jobs (
  id             INTEGER PRIMARY KEY,
  checkpoint_id  INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
  run_id         TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind           TEXT NOT NULL CHECK (kind IN ('native', 'lm-eval')),
  tasks          TEXT NOT NULL DEFAULT '[]',
  eval_limit     INTEGER,
  local_tasks    TEXT,
  state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  message        TEXT,
  origin         TEXT NOT NULL CHECK (origin IN ('manual', 'schedule')),
  trigger_tokens INTEGER,
  worker         INTEGER,
  output         TEXT,
  created_at     REAL NOT NULL,
  started_at     REAL,
  ended_at       REAL
);

-- table evaluations
CREATE TABLE evaluations (
  id            INTEGER PRIMARY KEY,
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
  task          TEXT NOT NULL,
  metric        TEXT NOT NULL,
  value         REAL,
  created_at    REAL NOT NULL, kind TEXT NOT NULL DEFAULT 'lm-eval', job_id INTEGER REFERENCES eval_jobs (id) ON DELETE SET NULL,
  UNIQUE (checkpoint_id, task, metric)
);

-- table ingest_cursors
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

-- table ingest_errors
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

-- table nodes
CREATE TABLE nodes (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('local', 'ssh')),
  name          TEXT NOT NULL,
  host          TEXT,
  port          INTEGER CHECK (port IS NULL OR port BETWEEN 1 AND 65535),
  username      TEXT,
  identity_file TEXT,
  proxy_jump    TEXT,
  python        TEXT,
  created_at    REAL NOT NULL,
  updated_at    REAL NOT NULL,
  CHECK (kind = 'local' OR host IS NOT NULL)
);

-- table points
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

-- table router_stats
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

-- table run_events
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

-- table runs
CREATE TABLE runs (
  key                  INTEGER PRIMARY KEY,
  id                   TEXT NOT NULL UNIQUE,
  name                 TEXT NOT NULL,
  node_id              TEXT NOT NULL REFERENCES nodes (id) ON DELETE RESTRICT,
  deployment_id        INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
  trainer_hash         TEXT,
  preset               TEXT,
  overrides            TEXT NOT NULL DEFAULT '{}',
  flags                TEXT NOT NULL DEFAULT '',
  config               TEXT NOT NULL DEFAULT '{}',
  state                TEXT NOT NULL CHECK (state IN
                         ('launching', 'running', 'unresponsive', 'stopping', 'completed', 'stopped', 'failed')),
  state_message        TEXT,
  stop_requested       INTEGER NOT NULL DEFAULT 0 CHECK (stop_requested IN (0, 1)),
  remote_dir           TEXT NOT NULL,
  created_at           REAL NOT NULL,
  started_at           REAL,
  ended_at             REAL,
  exit_code            INTEGER,
  last_step            INTEGER,
  last_heartbeat       REAL,
  tags                 TEXT NOT NULL DEFAULT '[]',
  notes                TEXT NOT NULL DEFAULT '',
  parent_run_id        TEXT REFERENCES runs (id) ON DELETE SET NULL,
  parent_checkpoint_id INTEGER REFERENCES checkpoints (id) ON DELETE SET NULL
, eval_every TEXT);

-- table schema_migrations
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  applied_at REAL NOT NULL
);

-- table series
CREATE TABLE series (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
