/// <reference lib="dom" />
import { expect, saveScreenshot, test, watchCsp } from './fixtures.js';

test('the nodes page lists This machine, tests it, and adds an SSH node by hand', async ({ page, workbench }) => {
  const violations = await watchCsp(page);
  await page.goto(workbench.url);
  // Keyboard: "g n" goes to Nodes.
  await page.keyboard.press('g');
  await page.keyboard.press('n');
  await expect(page.getByRole('heading', { name: 'Nodes', level: 1 })).toBeVisible();
  const local = page.getByRole('article', { name: 'This machine' });
  await expect(local.getByText(/Trainer ready/)).toBeVisible();
  await local.getByRole('button', { name: 'Test connection' }).click();
  const report = local.getByRole('region', { name: 'Node report' });
  await expect(report).toBeVisible({ timeout: 60_000 });
  await expect(report.getByText('GPUs')).toBeVisible();
  await expect(report.getByText('Python', { exact: true })).toBeVisible();
  await expect(report.getByText('Build tools', { exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Add SSH node' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add an SSH node' });
  await dialog.getByLabel('Host', { exact: true }).fill('gpu1.lab.invalid');
  await dialog.getByLabel('Name', { exact: true }).fill('gpu1');
  await dialog.getByLabel('User', { exact: true }).fill('researcher');
  await dialog.getByLabel('Jump hosts (ProxyJump)').fill('me@bastion.invalid:2222');
  await dialog.getByRole('button', { name: 'Add node' }).click();
  await expect(dialog).toBeHidden();
  const gpu1 = page.getByRole('article', { name: 'gpu1' });
  await expect(gpu1.getByText('researcher@gpu1.lab.invalid via me@bastion.invalid:2222')).toBeVisible();
  await saveScreenshot(page, 'nodes');

  // Dark theme, chosen by hand, survives a reload.
  await page.getByRole('radio', { name: 'Dark' }).click();
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('radio', { name: 'Dark' })).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByRole('article', { name: 'This machine' }).getByText(/Trainer ready/)).toBeVisible();
  await saveScreenshot(page, 'nodes-dark');
  expect(await violations()).toEqual([]);
  void workbench;
});

test('keyboard users get a skip link, visible focus and the shortcut help', async ({ page, workbench }) => {
  await page.goto(workbench.url);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await page.keyboard.press('g');
  await page.keyboard.press('l');
  await expect(page.getByRole('heading', { name: 'Launch a run' })).toBeVisible();
  void workbench;
});
