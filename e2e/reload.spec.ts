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
    const stored = await rpc<Raw>(workbench, 'metrics:series', {
      runId: run.id,
      series: 'train/loss',
      to: drawn.last,
      maxPoints: 100_000,
    });
    expect(stored.mode).toBe('raw');
    expect(drawn.duplicates).toBe(0);
    expect(drawn.points).toBe(new Set(stored.points.map((p) => p.step)).size);
    expect(stored.points.length).toBe(drawn.points);
    return drawn.last;
  }

  await expect
    .poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 240_000 })
    .toBeGreaterThanOrEqual(4);
  const beforeReload = await chartMatchesStore();

  await page.reload();
  await expect(page.getByRole('heading', { name: /reload check/ })).toBeVisible();
  await expect
    .poll(async () => Number(await loss.getAttribute('data-last-step')), { timeout: 120_000 })
    .toBeGreaterThanOrEqual(beforeReload);
  await chartMatchesStore();
  // Live updates after the reload append without repeating a step.
  const afterReload = Number(await loss.getAttribute('data-last-step'));
  await expect
    .poll(async () => Number(await loss.getAttribute('data-last-step')), { timeout: 240_000 })
    .toBeGreaterThan(afterReload);
  await chartMatchesStore();

  // Drag across the middle of the chart to zoom: it asks for that step range and stops following.
  async function storedLastStep(): Promise<number> {
    const stored = await rpc<Raw>(workbench, 'metrics:series', {
      runId: run.id,
      series: 'train/loss',
      maxPoints: 100_000,
    });
    return stored.points.at(-1)?.step ?? 0;
  }
  const box = (await loss.locator('.recharts-surface').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.25, y);
  await page.mouse.down();
  // Few intermediate moves: each one redraws the selection, which is slow on a loaded machine.
  await page.mouse.move(box.x + box.width * 0.45, y, { steps: 2 });
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 2 });
  await page.mouse.up();
  await expect(loss.getByRole('button', { name: 'Reset zoom' })).toBeVisible();
  // The run goes on while the mouse moves, so compare with the store, not with a step read before the drag.
  await expect
    .poll(async () => Number(await loss.getAttribute('data-last-step')) < (await storedLastStep()))
    .toBe(true);
  const zoomed = await loss.evaluate((el) => ({
    last: Number(el.getAttribute('data-last-step')),
    points: Number(el.getAttribute('data-points')),
    mode: el.getAttribute('data-mode'),
  }));
  expect(zoomed.mode).toBe('raw');
  expect(zoomed.points).toBeGreaterThan(0);
  // A middle slice: fewer points than its last step (it does not start at the first step).
  expect(zoomed.points).toBeLessThan(zoomed.last);
  // Zoomed, the chart holds its range while new points arrive.
  const storedAtZoom = await storedLastStep();
  await expect.poll(storedLastStep, { timeout: 120_000 }).toBeGreaterThan(storedAtZoom);
  expect(Number(await loss.getAttribute('data-last-step'))).toBe(zoomed.last);
  // Double-click resets to the whole run, following it live again.
  const newest = await storedLastStep();
  await loss.dblclick();
  await expect(loss.getByRole('button', { name: 'Reset zoom' })).toHaveCount(0);
  await expect.poll(async () => Number(await loss.getAttribute('data-last-step'))).toBeGreaterThanOrEqual(newest);
  await chartMatchesStore();
});
