import { execFileSync } from 'node:child_process';
import { expect, test, trainerBinary } from './fixtures.js';

test('the first page shows the version printed by the real trainer binary', async ({ page, workbench }) => {
  const printed = execFileSync(trainerBinary, ['--version'], { encoding: 'utf8' }).trim();
  expect(printed).toMatch(/^moetrain \S+ \(libtorch /);

  await page.goto(workbench.url);
  await expect(page.getByRole('heading', { name: 'This machine' })).toBeVisible();
  await expect(page.getByText('Trainer ready')).toBeVisible();
  await expect(page.getByTestId('trainer-version')).toHaveText(printed);
  // The token left the address bar once the page kept it.
  expect(page.url()).not.toContain('token=');
});

test('the page refuses to work without the start token', async ({ page, workbench }) => {
  await page.goto(workbench.origin + '/');
  await expect(page.getByRole('heading', { name: /Open the workbench from its start URL/ })).toBeVisible();
  const status = await page.evaluate(async () => {
    const res = await fetch('/api/rpc/app:info', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    return res.status;
  });
  expect(status).toBe(401);
});
