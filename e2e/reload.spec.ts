/// <reference lib="dom" />
import { expect, rpc, test } from './fixtures.js';

interface Launched {
  run: { id: string };
}
interface Raw {
  mode: string;
  points: { step: number }[];
}

// What the chart draws must equal what the store holds: one point per step, before and after a reload
// in the middle of a live run, while new points keep arriving.
test('reloading mid-run shows every stored point exactly once', async ({ page, workbench }) => {
  test.setTimeout(600_000);
  const { run } = await rpc<Launched>(workbench, 'runs:launch', {
    preset: 'jetmoe-tiny',
    name: 'reload check',
    overrides: { 'log-every': 1, 'router-stats-every': 0, 'val-every': 0, 'max-steps': 3000 },
  });
  await page.goto(workbench.url);
  await page.goto(`${workbench.origin}/runs/${run.id}`);
  const loss = page.getByRole('figure', { name: 'Loss chart', exact: true });

  async function chartMatchesStore(): Promise<number> {
    // One read of what the chart draws (points keep arriving between two separate reads).
    const drawn = await loss.evaluate((el) => ({
      last: Number(el.getAttribute('data-last-step')),
      points: Number(el.getAttribute('data-points')),
      duplicates: Number(el.getAttribute('data-duplicates')),
    }));
    const stored = await rpc<Raw>(workbench, 'metrics:series', { runId: run.id, series: 'train/loss', to: drawn.last, maxPoints: 100_000 });
    expect(stored.mode).toBe('raw');
    expect(drawn.duplicates).toBe(0);
    expect(drawn.points).toBe(new Set(stored.points.map((p) => p.step)).size);
    expect(stored.points.length).toBe(drawn.points);
    return drawn.last;
  }

  await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 240_000 }).toBeGreaterThanOrEqual(4);
  const beforeReload = await chartMatchesStore();

  await page.reload();
  await expect(page.getByRole('heading', { name: /reload check/ })).toBeVisible();
  await expect.poll(async () => Number(await loss.getAttribute('data-last-step')), { timeout: 120_000 }).toBeGreaterThanOrEqual(beforeReload);
  await chartMatchesStore();
  // Live updates after the reload append without repeating a step.
  const afterReload = Number(await loss.getAttribute('data-last-step'));
  await expect.poll(async () => Number(await loss.getAttribute('data-last-step')), { timeout: 240_000 }).toBeGreaterThan(afterReload);
  await chartMatchesStore();
});
