-- 0001_init: node profiles, deployments, runs and their attempts, the checkpoint ledger, evaluations.
-- Times are Unix seconds (REAL). JSON columns hold text validated by the services.

-- Machines the workbench can run on. Never holds a secret: SSH keys stay in their files or the
-- agent, passphrases in the OS keychain.
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

INSERT INTO nodes (id, kind, name, created_at, updated_at)
VALUES ('local', 'local', 'This machine', unixepoch('subsec'), unixepoch('subsec'));

-- One row per deploy of the trainer sources to a node.
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
CREATE INDEX deployments_by_node ON deployments (node_id, id);

-- A training run. `key` is the compact integer the metric tables use; `id` is the name on disk.
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
);
CREATE INDEX runs_by_created ON runs (created_at);
CREATE INDEX runs_by_node ON runs (node_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id);

-- Each start or resume of the trainer for a run (the header record's `attempt`).
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

-- The checkpoint ledger, filled from `checkpoint` records (written only once a checkpoint is complete).
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
  created_at REAL,
  UNIQUE (run_id, attempt, step)
);
CREATE INDEX checkpoints_by_run_step ON checkpoints (run_id, step);

-- Evaluation results of a checkpoint (filled by a later evaluation feature).
CREATE TABLE evaluations (
  id            INTEGER PRIMARY KEY,
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
  task          TEXT NOT NULL,
  metric        TEXT NOT NULL,
  value         REAL,
  created_at    REAL NOT NULL,
  UNIQUE (checkpoint_id, task, metric)
);
