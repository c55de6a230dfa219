/// <reference lib="dom" />
import { expect, rpc, saveScreenshot, test } from './fixtures.js';

interface Launched {
  run: { id: string };
}

// Two runs that differ in exactly two flags: the comparison lists those two keys and nothing else, and
// overlays both runs' curves.
test('comparing two runs shows exactly the config keys that differ', async ({ page, workbench }) => {
  test.setTimeout(600_000);
  const common = {
    'log-every': 1,
    'router-stats-every': 0,
    'val-every': 0,
    'warmup-steps': 2,
    'decay-steps': 4,
    'max-steps': 12,
    'checkpoint-every': 0,
  };
  const a = await rpc<Launched>(workbench, 'runs:launch', {
    preset: 'jetmoe-tiny',
    name: 'baseline lr',
    overrides: { ...common },
  });
  const b = await rpc<Launched>(workbench, 'runs:launch', {
    preset: 'jetmoe-tiny',
    name: 'higher lr',
    overrides: { ...common, lr: '6e-3', seed: 7 },
  });
  for (const id of [a.run.id, b.run.id]) {
    await expect
      .poll(async () => (await rpc<{ state: string }>(workbench, 'runs:refresh', { runId: id })).state, {
        timeout: 300_000,
      })
      .toBe('completed');
  }

  await page.goto(workbench.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  // Tags and notes are edited in place and searchable.
  await page.getByRole('button', { name: 'Edit tags and notes of baseline lr' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit baseline lr' });
  await dialog.getByLabel('Tags', { exact: true }).fill('reference');
  await dialog.getByLabel('Tags', { exact: true }).press('Enter');
  await dialog.getByLabel('Notes').fill('the run to beat');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  const table = page.getByRole('table', { name: 'Runs' });
  await page.getByLabel('Search').fill('tag:reference');
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table.getByRole('row', { name: /baseline lr/ })).toContainText('the run to beat');
  await page.getByLabel('Search').fill('beat');
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByLabel('Search').fill('lr=6e-3');
  await expect(table.getByRole('row', { name: /higher lr/ })).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByLabel('Search').fill('');

  await page.getByRole('checkbox', { name: 'Select baseline lr to compare' }).check();
  await page.getByRole('checkbox', { name: 'Select higher lr to compare' }).check();
  await page.getByRole('button', { name: 'Compare 2 runs' }).click();

  const diff = page.getByTestId('config-diff');
  await expect(diff).toHaveAttribute('data-keys', 'lr,seed');
  const diffTable = page.getByRole('table', { name: 'Configuration differences' });
  await expect(diffTable.getByRole('row')).toHaveCount(3);
  await expect(diffTable.getByRole('row', { name: /--lr/ })).toContainText('0.003');
  await expect(diffTable.getByRole('row', { name: /--lr/ })).toContainText('0.006');
  await expect(diffTable.getByRole('row', { name: /--seed/ })).toContainText('7');
  const loss = page.getByRole('figure', { name: 'Loss chart', exact: true });
  await expect(loss).toHaveAttribute('data-points', '12');
  await expect(loss.getByText('higher lr')).toBeVisible();
  await saveScreenshot(page, 'compare');
});
