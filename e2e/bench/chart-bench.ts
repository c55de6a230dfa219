/// <reference lib="dom" />
/**
 * Chart benchmark: a 1M-point loss series, fetched reduced through the services (per-pixel min/max plus
 * last value, computed in SQL) and rendered by the run view, side by side with fetching and rendering raw
 * points, in the same run on the same machine. Prints every timing and the ratios.
 *
 *   npm run bench:chart [-- --points 1000000 --raw-cap-s 180] [--query-only]
 *
 * --query-only: only part 1 (the query through the dispatcher and HTTP), without Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';
import { rendererDir } from '../../electron/app/paths.js';
import { startHost } from '../../electron/host/server.js';
import { openDatabase } from '../../electron/services/db/database.js';
import { loadMigrations } from '../../electron/services/db/migrations/index.js';
import { dispatch } from '../../electron/services/rpc/dispatch.js';
import { createWorkbench } from '../../electron/services/workbench.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const totalPoints = arg('points', 1_000_000);
const rawCapSeconds = arg('raw-cap-s', 180);
const queryOnly = process.argv.includes('--query-only');
const chartWidth = 1000;
const runId = 'r-20261129-c4a47b';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * A loss-like curve with noise and rare spikes (the spikes are what min/max buckets must keep), written
 * straight into a database from before the level-of-detail summaries, which their migration then backfills.
 */
function seed(dataDir: string): void {
  const all = loadMigrations();
  const { db } = openDatabase(join(dataDir, 'workbench.db'), {
    migrations: all.slice(
      0,
      all.findIndex((m) => m.name.endsWith('_metric_summaries')),
    ),
  });
  db.prepare(
    `INSERT INTO runs (id, name, node_id, preset, state, remote_dir, created_at, started_at, ended_at, last_step)
     VALUES (?, 'bench: 1M steps', 'local', 'jetmoe-tiny', 'completed', ?, ?, ?, ?, ?)`,
  ).run(runId, dataDir, 1_795_000_000, 1_795_000_000, 1_795_100_000, totalPoints);
  const runKey = db.prepare('SELECT key FROM runs WHERE id = ?').pluck().get(runId) as number;
  db.prepare("INSERT INTO series (name) VALUES ('train/loss')").run();
  const seriesId = db.prepare("SELECT id FROM series WHERE name = 'train/loss'").pluck().get() as number;
  const insert = db.prepare(
    'INSERT INTO points (run_key, series_id, step, attempt, value, tokens, time) VALUES (?, ?, ?, 1, ?, ?, ?)',
  );
  let x = 12345;
  const rand = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  db.transaction(() => {
    for (let step = 1; step <= totalPoints; step++) {
      const spike = rand() < 2e-5 ? 3 : 0;
      const loss = 2 + 8 / Math.sqrt(step) + 0.05 * (rand() - 0.5) + spike;
      insert.run(runKey, seriesId, step, loss, step * 2048, 1_795_000_000 + step * 0.1);
    }
  })();
  db.close();
  openDatabase(join(dataDir, 'workbench.db'), { keepBackups: 0 }).db.close();
}

/** Navigation to drawn chart, and the part of it after the series' answer arrived (the rendering). */
async function timeRender(
  page: Page,
  url: string,
  expectPoints: number,
  capSeconds: number,
): Promise<{ ms: number | null; renderMs: number | null; mode: string | null }> {
  await page.goto('about:blank');
  const started = performance.now();
  await page.goto(url);
  try {
    await page.waitForFunction(
      (n) => {
        const fig = document.querySelector('figure[data-series="Loss"]');
        return !!fig && Number(fig.getAttribute('data-points')) >= n && !!fig.querySelector('path.recharts-curve');
      },
      expectPoints,
      { timeout: capSeconds * 1000, polling: 'raf' },
    );
  } catch {
    return { ms: null, renderMs: null, mode: null };
  }
  const ms = performance.now() - started;
  const drawnAt = await page.evaluate(() => performance.now());
  // The loss series is the largest metrics:series answer on the page (the other charts' series are empty).
  const answeredAt = await page.evaluate(() => {
    const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const series = entries
      .filter((e) => e.name.includes('metrics:series'))
      .sort((a, b) => b.encodedBodySize - a.encodedBodySize);
    return series[0]?.responseEnd ?? null;
  });
  const mode = await page.locator('figure[data-series="Loss"]').getAttribute('data-mode');
  return { ms, renderMs: answeredAt === null ? null : drawnAt - answeredAt, mode };
}

/** Click "Log y" and wait for two frames: how long one re-render of the charts takes. */
async function timeToggle(page: Page): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    times.push(
      await page.evaluate(async () => {
        const box = Array.from(document.querySelectorAll('label.check'))
          .find((l) => l.textContent?.includes('Log y'))
          ?.querySelector('input');
        const t0 = performance.now();
        box!.click();
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }),
    );
  }
  return median(times);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'moewb-chart-bench-'));
  const t0 = performance.now();
  seed(dir);
  console.log(
    `seeded ${totalPoints.toLocaleString('en-US')} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const workbench = createWorkbench({
    dataDir: dir,
    trainerPath: join(dir, 'no-trainer'),
    transport: 'browser',
    version: 'bench',
    watchRuns: false,
  });
  const host = await startHost({ workbench, staticDir: rendererDir(), port: 0 });
  try {
    // 1. The query, through the services' dispatcher and through the HTTP transport.
    const viaServices = async (maxPoints: number): Promise<number> => {
      const s = performance.now();
      const r = await dispatch(workbench.handlers, 'metrics:series', { runId, series: 'train/loss', maxPoints });
      if (!r.ok) throw new Error(r.error.message);
      return performance.now() - s;
    };
    const viaHttp = async (maxPoints: number, retry = true): Promise<{ ms: number; bytes: number }> => {
      const s = performance.now();
      // An idle kept-alive socket may be closed by the server just as it is reused: retry once then.
      const res = await fetch(`${host.origin}/api/rpc/metrics:series`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${host.token}` },
        body: JSON.stringify({ runId, series: 'train/loss', maxPoints }),
      }).catch((err: unknown) => {
        if (retry) return null;
        throw err;
      });
      if (res === null) return viaHttp(maxPoints, false);
      const text = await res.text();
      return { ms: performance.now() - s, bytes: text.length };
    };
    await viaServices(chartWidth);
    const reducedQueries: number[] = [];
    for (let i = 0; i < 9; i++) reducedQueries.push(await viaServices(chartWidth));
    const reducedQuery = median(reducedQueries);
    const reducedHttp: { ms: number; bytes: number }[] = [];
    for (let i = 0; i < 5; i++) reducedHttp.push(await viaHttp(chartWidth));
    const rawQuery: number[] = [];
    for (let i = 0; i < 3; i++) rawQuery.push(await viaServices(totalPoints));
    const rawHttp = await viaHttp(totalPoints);
    const reducedHttpMs = median(reducedHttp.map((r) => r.ms));
    const f = (ms: number | null): string =>
      ms === null
        ? `> ${rawCapSeconds} s (gave up)`
        : ms >= 1000
          ? `${(ms / 1000).toFixed(2)} s`
          : `${ms.toFixed(1)} ms`;
    const ratio = (a: number | null, b: number): string =>
      a === null ? `> ${((rawCapSeconds * 1000) / b).toFixed(0)}x` : `${(a / b).toFixed(1)}x`;
    const printQueries = (): void => {
      console.log(`\nseries: ${totalPoints.toLocaleString('en-US')} points; chart width ${chartWidth} px\n`);
      console.log('query (metrics:series)                  reduced (1000 buckets)   raw (every point)   raw / reduced');
      console.log(
        `  services dispatcher, median            ${f(reducedQuery).padEnd(24)} ${f(median(rawQuery)).padEnd(19)} ` +
          ratio(median(rawQuery), reducedQuery),
      );
      console.log(
        `  HTTP transport (browser mode), median  ${f(reducedHttpMs).padEnd(24)} ${f(rawHttp.ms).padEnd(19)} ` +
          ratio(rawHttp.ms, reducedHttpMs),
      );
      console.log(
        `  answer size                            ${(reducedHttp[0]!.bytes / 1024).toFixed(0)} KiB`.padEnd(65) +
          `${(rawHttp.bytes / 1048576).toFixed(1)} MiB`,
      );
      console.log(
        `  load average: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')} on ${cpus().length} CPUs`,
      );
    };
    if (queryOnly) {
      printQueries();
      return;
    }

    // 2. Rendering in Chromium: the run view at chart width versus every raw point.
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
        '--js-flags=--max-old-space-size=8192',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const runUrl = (query: string): string => `${host.origin}/runs/${runId}${query}#token=${host.token}`;
    await timeRender(page, runUrl(''), 10, 120); // warm the static files and the database pages
    const reducedRender: number[] = [];
    const reducedDraw: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await timeRender(page, runUrl(''), 100, 120);
      if (r.ms === null || r.mode !== 'buckets') throw new Error('the reduced chart did not render');
      reducedRender.push(r.ms);
      reducedDraw.push(r.renderMs ?? Number.NaN);
    }
    const reducedToggle = await timeToggle(page);
    const tenth = Math.round(totalPoints / 10);
    const rawTenth = await timeRender(page, runUrl(`?maxPoints=${tenth}`), 1, rawCapSeconds);
    // maxPoints = a tenth of the series: the services answer with that many buckets, so the chart draws
    // as many SVG points as a raw series of that size would have.
    const rawTenthToggle = rawTenth.ms !== null ? await timeToggle(page) : null;
    const rawAll = await timeRender(page, runUrl(`?maxPoints=${totalPoints}`), totalPoints, rawCapSeconds);
    await browser.close();

    const rr = median(reducedRender);
    printQueries();
    const rd = median(reducedDraw);
    console.log(
      '\nrender in Chromium                      navigation to drawn chart   of which drawing (after the answer)',
    );
    console.log(`  reduced 1000 buckets, median of 3      ${f(rr).padEnd(27)} ${f(rd)}`);
    console.log(
      `  ${tenth.toLocaleString('en-US')} points                         ${f(rawTenth.ms).padEnd(27)} ` +
        `${f(rawTenth.renderMs)}  (${ratio(rawTenth.ms, rr)} / ${ratio(rawTenth.renderMs, rd)})`,
    );
    console.log(
      `  ${totalPoints.toLocaleString('en-US')} raw points                   ${f(rawAll.ms).padEnd(27)} ` +
        `${f(rawAll.renderMs)}  (${ratio(rawAll.ms, rr)} / ${ratio(rawAll.renderMs, rd)})`,
    );
    console.log('\nre-render after a click (Log y), median of 4');
    console.log(`  reduced                                ${f(reducedToggle)}`);
    console.log(`  ${tenth.toLocaleString('en-US')} points                         ${f(rawTenthToggle)}`);
  } finally {
    await host.close();
    await workbench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
