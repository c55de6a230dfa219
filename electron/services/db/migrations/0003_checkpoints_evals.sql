-- 0003_checkpoints_evals: checkpoint verification and local copies, evaluation jobs and their scores,
-- and the per-run "evaluate every N tokens" setting.

-- Why the trainer keeps a checkpoint beyond --keep-checkpoints (JSON array of strings), the last
-- verification against its MANIFEST, and where a verified copy lies on this machine.
ALTER TABLE checkpoints ADD COLUMN kept TEXT NOT NULL DEFAULT '[]';
ALTER TABLE checkpoints ADD COLUMN verified_at REAL;
ALTER TABLE checkpoints ADD COLUMN verify_message TEXT;
ALTER TABLE checkpoints ADD COLUMN downloaded_path TEXT;

-- The run's evaluation schedule: {"tokens", "kind", "tasks", "limit", "localTasksDir"} or NULL.
ALTER TABLE runs ADD COLUMN eval_every TEXT;

-- One evaluation of one checkpoint (`origin`: evals:run or the run's schedule). `trigger_tokens` is
-- the multiple of eval_every.tokens a scheduled job was queued for, so each multiple is evaluated
-- once. `worker` is the pid of the workbench process that queued and runs it (the app and `moewb`
-- share the database; only a job whose process is gone is marked failed).
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
CREATE INDEX eval_jobs_by_run ON eval_jobs (run_id, id);
CREATE UNIQUE INDEX eval_jobs_scheduled ON eval_jobs (run_id, kind, trigger_tokens) WHERE origin = 'schedule';

-- Scores: which job produced them and with which kind of evaluation.
ALTER TABLE evaluations ADD COLUMN kind TEXT NOT NULL DEFAULT 'lm-eval';
ALTER TABLE evaluations ADD COLUMN job_id INTEGER REFERENCES eval_jobs (id) ON DELETE SET NULL;
CREATE INDEX evaluations_by_task ON evaluations (task, metric);
