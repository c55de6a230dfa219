/// <reference lib="dom" />
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../electron/test-support/ssh-keys.js';
import { TestSshd } from '../electron/test-support/sshd.js';
import { expect, saveScreenshot, test } from './fixtures.js';

// A real OpenSSH server on 127.0.0.1: the first connection asks to confirm the host key by its
// fingerprint, trusting it lets the test through, and a changed key is refused without an "accept".
test('an SSH node: confirm the unknown host key by fingerprint, test it, and refuse a changed key', async ({
  page,
  workbench,
}) => {
  test.setTimeout(300_000);
  const key = generateKey(mkdtempSync(join(tmpdir(), 'moewb-e2e-key-')), 'id_ed25519');
  const sshd = await TestSshd.start({ authorizedKeys: [key.publicLine] });
  try {
    await page.goto(workbench.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
    await page.getByRole('button', { name: 'Add SSH node' }).click();
    const form = page.getByRole('dialog', { name: 'Add an SSH node' });
    await form.getByLabel('Host', { exact: true }).fill(sshd.host);
    await form.getByLabel('Port').fill(String(sshd.port));
    await form.getByLabel('Name', { exact: true }).fill('loopback node');
    await form.getByLabel('User', { exact: true }).fill(sshd.user);
    await form.getByLabel('Private key file').fill(key.privatePath);
    await form.getByRole('button', { name: 'Add node' }).click();
    await expect(form).toBeHidden();

    const card = page.getByRole('article', { name: 'loopback node' });
    await card.getByRole('button', { name: 'Test connection' }).click();
    const ask = page.getByRole('dialog', { name: `First connection to ${sshd.host}:${sshd.port}` });
    await expect(ask).toBeVisible({ timeout: 60_000 });
    await expect(ask.getByTestId('hostkey-fingerprint')).toHaveText(sshd.hostKey.fingerprint);
    await expect(ask.getByText(sshd.hostKey.type, { exact: true })).toBeVisible();
    await saveScreenshot(page, 'nodes-hostkey', false);
    await ask.getByRole('button', { name: /The fingerprint matches: trust and connect/ }).click();
    await expect(ask).toBeHidden();
    const report = card.getByRole('region', { name: 'Node report' });
    await expect(report).toBeVisible({ timeout: 60_000 });
    await expect(report.getByText('CPU and memory')).toBeVisible();

    // The node is reinstalled (or someone is in the middle): a new host key on the same address.
    await sshd.restart({ newHostKey: true });
    await card.getByRole('button', { name: 'Test connection' }).click();
    const refusal = page.getByRole('dialog', {
      name: `Refused: the host key of ${sshd.host}:${sshd.port} has changed`,
    });
    await expect(refusal).toBeVisible({ timeout: 90_000 });
    await expect(refusal.getByText(sshd.hostKey.fingerprint)).toBeVisible();
    await expect(refusal.getByRole('button', { name: /trust/i })).toHaveCount(0);
    await saveScreenshot(page, 'nodes-hostkey-changed', false);
    await refusal.getByRole('button', { name: 'Close' }).click();
    await expect(refusal).toBeHidden();
  } finally {
    await sshd.stop();
  }
});
