/// <reference lib="dom" />
import { expect, rpc, test } from './fixtures.js';

// The launch wizard builds a two-source data mixture with a second phase, the trainer checks it (and names
// a bad weight at the mixture), the lr chart marks the switch, and the run really switches mixtures.
test('a two-source mixture with a phase 2 is planned, launched and switched to', async ({ page, workbench }) => {
  test.setTimeout(600_000);
  await page.goto(workbench.url);
  await expect(page.getByText('Trainer ready')).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Launch' }).click();
  await expect(page.getByRole('heading', { name: 'Launch a run' })).toBeVisible();
  await expect(page.getByLabel('Preset')).toHaveValue('jetmoe-tiny');
  const status = page.getByTestId('plan-status');
  await expect(status).toHaveAttribute('data-state', 'ok');

  await page.getByLabel('Run name').fill('mixture run');
  await page.getByLabel('Optimizer steps').fill('12');
  await page.getByLabel('Warmup', { exact: true }).fill('2');
  await page.getByLabel('Decay length').fill('4');
  await page.getByLabel('Log every').fill('1');

  // Phase 1: arithmetic and grammar, 3:1.
  await page.getByRole('radio', { name: 'Mixture' }).click();
  const phase1 = page.getByRole('group', { name: 'Phase 1 mixture' });
  await expect(phase1.getByLabel('Source 1 domain')).toHaveValue('arithmetic');
  await phase1.getByLabel('Source 1 weight').fill('3');
  await phase1.getByLabel('Source 2 domain').selectOption('grammar');
  await expect(page.getByTestId('data-mix-share-1')).toHaveText('75.0%');
  await expect(page.getByTestId('data-mix-share-2')).toHaveText('25.0%');

  // A weight the trainer refuses is named at the mixture and blocks the launch.
  await phase1.getByLabel('Source 2 weight').fill('-1');
  await expect(status).toHaveAttribute('data-state', 'invalid');
  await expect(phase1.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Launch on This machine' })).toBeDisabled();
  await phase1.getByLabel('Source 2 weight').fill('1');
  await expect(status).toHaveAttribute('data-state', 'ok');

  // Phase 2: copy and dyck from step 6 on (steps 1..5 read phase 1).
  await page.getByLabel('Switch to a second mixture (phase 2) later in the run').check();
  const phase2 = page.getByRole('group', { name: 'Phase 2 mixture' });
  // It starts as a copy of phase 1.
  await expect(phase2.getByLabel('Source 1 weight')).toHaveValue('3');
  await phase2.getByLabel('Source 1 domain').selectOption('copy');
  await phase2.getByLabel('Source 1 weight').fill('1');
  await phase2.getByLabel('Source 2 domain').selectOption('dyck');
  await page.getByLabel('Phase 2 starts at').selectOption('steps');
  await page.getByLabel('Phase 2 start step').fill('5');
  await expect(status).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('lr-curve')).toHaveAttribute('data-phase2-start', '5');
  await page.screenshot({ path: test.info().outputPath('launch-mixture.png'), fullPage: true });

  // Retention fields reach the trainer too.
  await page.getByLabel('Also keep the best by validation loss').check();
  await expect(status).toHaveAttribute('data-state', 'ok');

  // Evaluate every N tokens: a bad count is named with its fix and blocks the launch.
  const evalEvery = page.getByLabel('Evaluate every', { exact: true });
  await evalEvery.fill('soon');
  await expect(page.getByRole('group', { name: 'Evaluate during the run' }).getByRole('alert')).toContainText(
    'not a token count',
  );
  await expect(page.getByRole('button', { name: 'Launch on This machine' })).toBeDisabled();
  await evalEvery.fill('1M');
  await expect(page.getByRole('button', { name: 'Launch on This machine' })).toBeEnabled();

  await page.getByRole('button', { name: 'Launch on This machine' }).click();
  await expect(page.getByRole('heading', { name: /mixture run/ })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-state', 'completed', { timeout: 420_000 });
  const runId = await page.getByTestId('run-page').getAttribute('data-run-id');
  const run = await rpc<{ evalEvery?: { tokens: number; kind: string } | null }>(workbench, 'runs:get', { runId });
  expect(run.evalEvery).toMatchObject({ tokens: 1_000_000, kind: 'native' });

  await page.getByRole('navigation', { name: 'Run views' }).getByRole('link', { name: 'Details' }).click();
  const flags = page.getByRole('table', { name: 'Resolved flags' });
  await expect(flags.getByRole('row', { name: /--data-mix\s/ })).toContainText(
    'synthetic:arithmetic=3,synthetic:grammar=1',
  );
  await expect(flags.getByRole('row', { name: /--data-mix-phase2\s/ })).toContainText(
    'synthetic:copy=1,synthetic:dyck=1',
  );
  await expect(flags.getByRole('row', { name: /--keep-best-val\s/ })).toContainText('true');
  await expect(page.getByText('phase_switch', { exact: true })).toBeVisible();
});
