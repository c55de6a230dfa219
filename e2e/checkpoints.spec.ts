/// <reference lib="dom" />
import { expect, rpc, saveScreenshot, test, watchCsp, type WorkbenchProcess } from './fixtures.js';

interface Launched {
  run: { id: string; name: string };
}
interface Ckpt {
  id: number;
  step: number;
  status: string;
}
interface Series {
  mode: string;
  points: { step: number; value: number | null }[];
}

// Small batches so a loaded machine still trains a few steps a second.
const small = {
  'micro-batch-size': 4,
  'seq-len': 64,
  'log-every': 1,
  'router-stats-every': 0,
  'val-every': 0,
  'val-tokens': 1024,
};

async function completeCheckpoints(wb: WorkbenchProcess, runId: string): Promise<Ckpt[]> {
  return (await rpc<Ckpt[]>(wb, 'checkpoints:list', { runId })).filter((c) => c.status === 'complete');
}

async function runState(wb: WorkbenchProcess, runId: string): Promise<string> {
  return (await rpc<{ state: string }>(wb, 'runs:get', { runId })).state;
}

test('the ledger of a training run; stop, resume from a middle checkpoint, and the curve continues', async ({
  page,
  workbench,
}) => {
  test.setTimeout(300_000);
  const violations = await watchCsp(page);
  const { run } = await rpc<Launched>(workbench, 'runs:launch', {
    preset: 'jetmoe-tiny',
    name: 'resume check',
    overrides: { ...small, 'max-steps': 100_000, 'checkpoint-every': 3, 'keep-checkpoints': 50 },
  });
  await expect
    .poll(async () => (await completeCheckpoints(workbench, run.id)).length, { timeout: 180_000 })
    .toBeGreaterThanOrEqual(2);
  await page.goto(workbench.url);
  await page.goto(`${workbench.origin}/runs/${run.id}/checkpoints`);
  const ledger = page.getByRole('table', { name: 'Checkpoint ledger' });
  await expect(ledger.getByRole('button', { name: 'Verify step 3', exact: true })).toBeVisible();

  // While it trains, the newest complete checkpoint cannot be deleted, and the row says why.
  const newest = ledger.locator('tr', { has: page.getByText('newest', { exact: true }) });
  await expect(newest.getByRole('button', { name: /^Delete step \d+/ })).toBeDisabled();
  await expect(newest.getByText(/this newest complete checkpoint is the one it would resume from/)).toBeVisible();
  await expect(ledger.getByRole('button', { name: 'Delete step 3…', exact: true })).toBeEnabled();
  await expect(ledger.getByRole('button', { name: 'Resume from step 3', exact: true })).toHaveCount(0);

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-state', 'stopped', { timeout: 120_000 });
  const stoppedAt = (await rpc<{ lastStep: number }>(workbench, 'runs:get', { runId: run.id })).lastStep;
  expect(stoppedAt).toBeGreaterThan(3);
  await saveScreenshot(page, 'run-checkpoints');

  // Resume from a middle checkpoint (the one before the checkpoint written on stop): a second attempt
  // that continues the same curve past where the run stopped.
  const done = await completeCheckpoints(workbench, run.id);
  const middle = done.sort((a, b) => a.step - b.step).at(-2)!.step;
  expect(middle).toBeLessThan(stoppedAt);
  await ledger.getByRole('button', { name: `Resume from step ${middle}`, exact: true }).click();
  await expect(page.getByRole('link', { name: 'Training' })).toHaveAttribute('aria-current', 'page');
  await expect(
    page.getByRole('region', { name: 'Lineage' }).getByText(`resumed at step ${middle}`, { exact: true }),
  ).toBeVisible({ timeout: 60_000 });
  const loss = page.getByRole('figure', { name: 'Loss chart', exact: true });
  await expect
    .poll(async () => Number(await loss.getAttribute('data-last-step')), { timeout: 180_000 })
    .toBeGreaterThan(stoppedAt);
  const drawn = await loss.evaluate((el) => ({
    last: Number(el.getAttribute('data-last-step')),
    points: Number(el.getAttribute('data-points')),
    dup: el.getAttribute('data-duplicates'),
  }));
  expect(drawn.dup).toBe('0');
  const stored = await rpc<Series>(workbench, 'metrics:series', {
    runId: run.id,
    series: 'train/loss',
    to: drawn.last,
    maxPoints: 100_000,
  });
  expect(stored.points.map((p) => p.step)).toEqual([...new Set(stored.points.map((p) => p.step))]);
  expect(drawn.points).toBe(stored.points.length);
  expect(await violations()).toEqual([]);
});

test('a completed run: verify a checkpoint, anneal from it, find the lineage in history, evaluate it and see the leaderboard', async ({
  page,
  workbench,
}) => {
  test.setTimeout(300_000);
  const violations = await watchCsp(page);
  await page.goto(workbench.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Evaluations' }).click();
  await expect(page.getByRole('heading', { name: 'No evaluations yet' })).toBeVisible();

  const { run } = await rpc<Launched>(workbench, 'runs:launch', {
    preset: 'jetmoe-tiny',
    name: 'base run',
    overrides: {
      ...small,
      'max-steps': 12,
      'checkpoint-every': 4,
      'keep-checkpoints': 10,
      'warmup-steps': 2,
      'decay-steps': 4,
    },
  });
  await expect.poll(() => runState(workbench, run.id), { timeout: 180_000 }).toBe('completed');
  await page.goto(`${workbench.origin}/runs/${run.id}/checkpoints`);
  const ledger = page.getByRole('table', { name: 'Checkpoint ledger' });
  for (const step of [4, 8, 12])
    await expect(ledger.getByRole('button', { name: `Verify step ${step}`, exact: true })).toBeVisible();
  // A completed run is not resumed (it is forked instead).
  await expect(ledger.getByRole('button', { name: /^Resume from/ })).toHaveCount(0);
  await ledger.getByRole('button', { name: 'Verify step 8', exact: true }).click();
  await expect(ledger.getByText(/^Verified: /)).toBeVisible({ timeout: 60_000 });
  // Download: a checked copy on this machine.
  await ledger.getByRole('button', { name: 'Download step 8', exact: true }).click();
  await expect(ledger.getByText(/^Downloaded \d+ files .* every SHA-1 matches the MANIFEST/)).toBeVisible({
    timeout: 60_000,
  });
  await expect(ledger.locator('tr[data-step="8"]').getByText('yes', { exact: true })).toBeVisible();
  // Delete asks first, then the row stays as deleted and offers nothing to derive from it.
  await ledger.getByRole('button', { name: 'Delete step 4…', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this checkpoint?' });
  await confirm.getByRole('button', { name: 'Delete the checkpoint' }).click();
  await expect(ledger.locator('tr[data-step="4"]')).toHaveAttribute('data-status', 'deleted');
  await expect(ledger.getByRole('button', { name: 'Fork from step 4…', exact: true })).toBeDisabled();

  // Anneal from step 8: the trainer's plan draws the decay the fork will follow.
  await ledger.getByRole('button', { name: 'Anneal from step 8…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Anneal from step 8' });
  await dialog.getByLabel('Name of the new run').fill('base anneal');
  await dialog.getByLabel('Decay length', { exact: true }).fill('8');
  await dialog.getByLabel('Decay form', { exact: true }).selectOption('linear');
  await dialog.getByLabel('Minimum learning rate', { exact: true }).fill('0.0001');
  await expect(dialog.getByRole('status').filter({ hasText: /^8 steps/ })).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByTestId('lr-curve')).toBeVisible();
  await saveScreenshot(page, 'anneal-dialog', false);
  await dialog.getByRole('button', { name: 'Start the anneal' }).click();

  await expect(page.getByRole('heading', { name: /base anneal/ })).toBeVisible({ timeout: 60_000 });
  const lineage = page.getByRole('region', { name: 'Lineage' });
  await expect(lineage.getByText('annealed from')).toBeVisible();
  await expect(lineage.getByRole('link', { name: 'Parent run base run' })).toBeVisible();
  await expect(lineage.getByText('at step 8')).toBeVisible();
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-state', 'completed', { timeout: 180_000 });
  const child = await page.getByTestId('run-page').getAttribute('data-run-id');
  const lr = await rpc<Series>(workbench, 'metrics:series', { runId: child, series: 'train/lr', maxPoints: 100_000 });
  const values = lr.points.map((p) => p.value!);
  expect(values.length).toBeGreaterThanOrEqual(4);
  for (let i = 1; i < values.length; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]! * (1 + 1e-9));
  expect(values.at(-1)!).toBeLessThan(values[0]! / 2);
  await expect(page.getByRole('figure', { name: 'Learning rate chart' })).toHaveAttribute(
    'data-points',
    String(values.length),
  );

  // History shows where it came from.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  const row = page.getByRole('table', { name: 'Runs' }).getByRole('row', { name: /base anneal/ });
  await expect(row.getByText('annealed from')).toBeVisible();
  await expect(row.getByRole('link', { name: 'Parent run base run' })).toBeVisible();
  await saveScreenshot(page, 'history-lineage');

  // A native evaluation of the parent's last checkpoint lands in the leaderboard.
  await row.getByRole('link', { name: 'Parent run base run' }).click();
  await page
    .getByRole('table', { name: 'Checkpoint ledger' })
    .getByRole('button', { name: 'Evaluate step 12…', exact: true })
    .click();
  const evaluate = page.getByRole('dialog', { name: 'Evaluate step 12' });
  await expect(evaluate.getByRole('checkbox', { name: /Held-out loss/ })).toBeChecked();
  await evaluate.getByLabel('Limit').fill('1024');
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate.locator('[data-job-state="done"]')).toBeVisible({ timeout: 120_000 });
  const results = evaluate.getByRole('table', { name: 'Evaluation results' });
  await expect(results.getByRole('cell', { name: 'native', exact: true }).first()).toBeVisible();
  await saveScreenshot(page, 'evaluate-dialog', false);
  await evaluate.getByRole('link', { name: 'Open the leaderboard' }).click();
  const board = page.getByRole('table', { name: 'Leaderboard' });
  const entry = board.locator(`tr[data-run-id="${run.id}"]`);
  await expect(entry).toHaveCount(1);
  await expect(entry.getByRole('link', { name: 'base run' })).toBeVisible();
  await expect(entry.getByRole('cell', { name: '12', exact: true })).toBeVisible();
  await expect(entry.locator('td[data-column="native/loss"]')).toHaveText(/^\d+\.\d+/);
  await expect(page.getByRole('figure', { name: 'native loss chart' })).toHaveAttribute('data-points', '1');
  await saveScreenshot(page, 'evaluations');
  // Sorted best first by its first score (lowest loss), and a click on that header reverses it.
  await expect(board.getByRole('columnheader', { name: /^native loss/ })).toHaveAttribute('aria-sort', 'ascending');
  await board.getByRole('button', { name: /^native loss/ }).click();
  await expect(board.getByRole('columnheader', { name: /^native loss/ })).toHaveAttribute('aria-sort', 'descending');
  await page.getByRole('radio', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await saveScreenshot(page, 'evaluations-dark');
  expect(await violations()).toEqual([]);
});
