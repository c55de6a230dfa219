import { Command, InvalidArgumentError } from 'commander';
import { createWorkbench } from '../services/workbench.js';
import { appRoot, defaultDataDir, defaultTrainerPath, rendererDir, workbenchVersion } from '../app/paths.js';
import { startHost, type RunningHost } from './server.js';

/** Options of browser mode. */
export interface BrowserModeOptions {
  port: number;
  dataDir: string;
  trainerPath: string;
}

/** Starts the services and the browser-mode host; resolves once it is listening. */
export async function runBrowserMode(options: BrowserModeOptions): Promise<RunningHost> {
  const root = appRoot();
  const workbench = createWorkbench({
    dataDir: options.dataDir,
    trainerPath: options.trainerPath,
    transport: 'browser',
    version: workbenchVersion(root),
  });
  let host: RunningHost;
  try {
    host = await startHost({ workbench, staticDir: rendererDir(root), port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && options.port !== 0) {
      console.log(`Port ${options.port} is busy; using a free port instead.`);
      host = await startHost({ workbench, staticDir: rendererDir(root), port: 0 });
    } else {
      throw err;
    }
  }
  const shutdown = async (): Promise<void> => {
    await host.close();
    await workbench.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  return host;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('Use a port number between 0 and 65535 (0 picks a free one).');
  }
  return port;
}

/** Command-line options shared by `npm start` (electron/startup) and this entry point. */
export function browserModeCommand(): Command {
  return new Command('moe-workbench')
    .description('MoE Workbench in your browser, served on 127.0.0.1 only')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 5199)
    .option('--data-dir <dir>', 'where the workbench keeps its database and local runs', defaultDataDir())
    .option('--trainer <path>', 'the local moetrain binary', defaultTrainerPath())
    .option('--browser', 'serve in the browser even where Electron is available', false);
}

/** Prints the URL in a form both people and test harnesses can read. */
export function announce(host: RunningHost): void {
  console.log(`MoE Workbench is running. Open this URL in your browser:\n\n  ${host.url}\n`);
  console.log(`WORKBENCH_URL=${host.url}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = browserModeCommand().parse().opts<{ port: number; dataDir: string; trainer: string }>();
  runBrowserMode({ port: opts.port, dataDir: opts.dataDir, trainerPath: opts.trainer }).then(
    announce,
    (err: unknown) => {
      console.error(`Could not start the workbench: ${String(err)}`);
      process.exit(1);
    },
  );
}
