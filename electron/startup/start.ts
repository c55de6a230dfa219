import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appRoot } from '../app/paths.js';
import { announce, browserModeCommand, runBrowserMode } from '../host/main.js';

const require = createRequire(import.meta.url);

/** The Electron binary's path when it is really installed, else a reason why not. */
function findElectron(root: string): { path: string } | { reason: string } {
  try {
    const path = require('electron') as unknown as string;
    if (typeof path === 'string' && existsSync(path)) return { path };
  } catch {
    // The package throws when its binary was never downloaded.
  }
  const marker = join(root, 'build', '.electron-install-attempted');
  if (!existsSync(marker)) {
    // Try the download once per checkout; offline machines answer quickly and we never retry.
    mkdirSync(join(root, 'build'), { recursive: true });
    writeFileSync(marker, new Date().toISOString());
    const installer = join(root, 'node_modules', 'electron', 'install.js');
    if (existsSync(installer)) {
      spawnSync(process.execPath, [installer], { stdio: 'ignore', timeout: 120_000 });
      try {
        const path = require('electron') as unknown as string;
        if (typeof path === 'string' && existsSync(path)) return { path };
      } catch {
        // still absent
      }
    }
  }
  return { reason: "Electron's binary is not installed on this machine" };
}

async function main(): Promise<void> {
  const opts = browserModeCommand()
    .parse()
    .opts<{ port: number; dataDir: string; trainer: string; browser: boolean }>();
  const root = appRoot();
  const electron = opts.browser ? { reason: 'browser mode was asked for' } : findElectron(root);
  if ('path' in electron && (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
    const child = spawn(electron.path, [join(root, 'build', 'node', 'electron', 'main', 'main.js')], {
      stdio: 'inherit',
      env: { ...process.env, MOE_WORKBENCH_DATA: opts.dataDir, MOE_WORKBENCH_TRAINER: opts.trainer },
    });
    child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  const reason = 'path' in electron ? 'there is no display' : electron.reason;
  console.log(`${reason}; serving the same workbench on 127.0.0.1 for your browser instead.`);
  announce(await runBrowserMode({ port: opts.port, dataDir: opts.dataDir, trainerPath: opts.trainer }));
}

main().catch((err: unknown) => {
  console.error(`Could not start the workbench: ${String(err)}`);
  process.exit(1);
});
