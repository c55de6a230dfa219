/// <reference lib="dom" />
import { expect, rpc, saveScreenshot, test, watchCsp } from './fixtures.js';

// A new user's first session: the empty state leads to the tiny preset on This machine; the run trains
// for real (the moetrain binary), its loss chart grows live, the router heatmaps fill in, the user stops
// it and finds it in the history.
test('a new user launches the tiny preset, watches it learn, stops it and finds it in history', async ({
  page,
  workbench,
}) => {
  test.setTimeout(600_000);
  const cspViolations = await watchCsp(page);
  await page.goto(workbench.url);

  const hero = page.getByRole('region', { name: 'Launch your first run on This machine' });
  await expect(hero).toBeVisible();
  await expect(hero.getByRole('button', { name: /Launch jetmoe-tiny on This machine/ })).toBeEnabled();
  await expect(page.getByText('Trainer ready')).toBeVisible();
  await saveScreenshot(page, 'overview-empty');

  // Customise: log every step and sample the routers often, so a loaded machine shows them soon.
  await hero.getByRole('link', { name: 'Customise it first' }).click();
  await expect(page.getByRole('heading', { name: 'Launch a run' })).toBeVisible();
  await expect(page.getByLabel('Preset')).toHaveValue('jetmoe-tiny');
  const status = page.getByTestId('plan-status');
  await expect(status).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('params-total')).toHaveText('1.94M');
  await page.getByLabel('Run name').fill('my first tiny run');
  await page.getByLabel('Log every').fill('1');
  await page.getByLabel('Router stats every').fill('5');
  await page.getByLabel('Validate every').fill('10');
  await page.getByLabel('Validation tokens').fill('2048');
  // An invalid value is refused by the trainer, named at its field, and blocks the launch.
  await page.getByLabel('Top-k').fill('9');
  await expect(status).toHaveAttribute('data-state', 'invalid');
  await expect(page.getByText(/--top-k=9 exceeds --num-experts=4/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Launch on This machine' })).toBeDisabled();
  await page.getByRole('button', { name: 'Reset Top-k to the preset' }).click();
  await expect(status).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('lr-curve')).toBeVisible();
  await saveScreenshot(page, 'launch-wizard');
  await page.getByRole('button', { name: 'Launch on This machine' }).click();

  // The live run view.
  await expect(page.getByRole('heading', { name: /my first tiny run/ })).toBeVisible({ timeout: 120_000 });
  const loss = page.getByRole('figure', { name: 'Loss chart', exact: true });
  await expect
    .poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 240_000 })
    .toBeGreaterThanOrEqual(3);
  const before = Number(await loss.getAttribute('data-points'));
  // It grows while we watch, without reloading.
  await expect
    .poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 240_000 })
    .toBeGreaterThan(before);
  await expect(loss).toHaveAttribute('data-duplicates', '0');
  await expect(page.getByTestId('stat-loss')).not.toHaveText('—');
  await saveScreenshot(page, 'run-live');
  // The same view in the dark theme, chosen by hand.
  await page.getByRole('radio', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await saveScreenshot(page, 'run-live-dark');
  await page.getByRole('radio', { name: 'Auto' }).click();

  // The MoE views fill in with the first router record.
  await page.getByRole('link', { name: 'Experts' }).click();
  const mlp = page.getByTestId('heatmap-mlp');
  await expect(mlp).toBeVisible({ timeout: 240_000 });
  await expect(mlp).toHaveAttribute('data-rows', '4');
  await expect(mlp).toHaveAttribute('data-cols', '4');
  await expect(mlp).toHaveAttribute('data-filled', '16');
  await expect(page.getByTestId('heatmap-attn')).toHaveAttribute('data-filled', '16');
  await expect(page.getByRole('table', { name: 'Router balance per layer' })).toBeVisible();
  await saveScreenshot(page, 'run-experts');

  // Stop: the trainer checkpoints and exits; the run is "Stopped".
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-state', 'stopped', { timeout: 120_000 });
  const runId = await page.getByTestId('run-page').getAttribute('data-run-id');

  // History finds it by name, and by a config value.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  const table = page.getByRole('table', { name: 'Runs' });
  const row = table.getByRole('row', { name: /my first tiny run/ });
  await expect(row).toBeVisible();
  await expect(row.getByText('Stopped')).toBeVisible();
  await page.getByLabel('Search').fill('log-every=1 first');
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByLabel('Search').fill('log-every=7');
  await expect(page.getByText('No run matches')).toBeVisible();
  await page.getByLabel('Search').fill('');
  await saveScreenshot(page, 'history');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByRole('heading', { name: 'Recent runs' })).toBeVisible();
  await expect(page.getByRole('img', { name: /^loss from .* to / })).toBeVisible();
  await expect(page.getByText('Trainer ready')).toBeVisible();
  await saveScreenshot(page, 'overview');

  const detail = await rpc<{ state: string; checkpoints: unknown[] }>(workbench, 'runs:get', { runId });
  expect(detail.state).toBe('stopped');
  expect(detail.checkpoints.length).toBeGreaterThan(0);
  expect(await cspViolations()).toEqual([]);
});
