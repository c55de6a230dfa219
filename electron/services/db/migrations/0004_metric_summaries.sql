-- metric_summaries: level-of-detail summaries of the points, so a chart of a long series is
-- assembled from a few thousand block rows instead of a scan of every point.

-- One row per (run, series, level, block) that holds at least one point. A block at level L of S steps
-- covers the steps [block * S, (block + 1) * S - 1]; levels 1 to 4 have 32, 256, 4096 and 65,536 steps.
-- Two summaries of the same rows: of the points not archived (`n` = 0 and the rest NULL when every point
-- of the block is archived), and of all points (`*_all`). min/max ignore NULL values (non-finite),
-- as SQL's min() and max() do; `n` counts rows, NULL values included. Maintained in the transaction
-- that inserts or archives the points.
CREATE TABLE point_blocks (
  run_key      INTEGER NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
  series_id    INTEGER NOT NULL REFERENCES series (id),
  level        INTEGER NOT NULL,
  block        INTEGER NOT NULL,
  n            INTEGER NOT NULL,
  step_min     INTEGER,
  step_max     INTEGER,
  vmin         REAL,
  vmax         REAL,
  n_all        INTEGER NOT NULL,
  step_min_all INTEGER NOT NULL,
  step_max_all INTEGER NOT NULL,
  vmin_all     REAL,
  vmax_all     REAL,
  PRIMARY KEY (run_key, series_id, level, block)
) WITHOUT ROWID;

-- Backfill from the points already stored: level 1 from the points, each further level from the one below.
INSERT INTO point_blocks
SELECT run_key, series_id, 1, step / 32,
       sum(archived = 0),
       min(CASE WHEN archived = 0 THEN step END), max(CASE WHEN archived = 0 THEN step END),
       min(CASE WHEN archived = 0 THEN value END), max(CASE WHEN archived = 0 THEN value END),
       count(*), min(step), max(step), min(value), max(value)
FROM points GROUP BY run_key, series_id, step / 32;

INSERT INTO point_blocks
SELECT run_key, series_id, 2, block / 8, sum(n), min(step_min), max(step_max), min(vmin), max(vmax),
       sum(n_all), min(step_min_all), max(step_max_all), min(vmin_all), max(vmax_all)
FROM point_blocks WHERE level = 1 GROUP BY run_key, series_id, block / 8;

INSERT INTO point_blocks
SELECT run_key, series_id, 3, block / 16, sum(n), min(step_min), max(step_max), min(vmin), max(vmax),
       sum(n_all), min(step_min_all), max(step_max_all), min(vmin_all), max(vmax_all)
FROM point_blocks WHERE level = 2 GROUP BY run_key, series_id, block / 16;

INSERT INTO point_blocks
SELECT run_key, series_id, 4, block / 16, sum(n), min(step_min), max(step_max), min(vmin), max(vmax),
       sum(n_all), min(step_min_all), max(step_max_all), min(vmin_all), max(vmax_all)
FROM point_blocks WHERE level = 3 GROUP BY run_key, series_id, block / 16;
