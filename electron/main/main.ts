import { app, BrowserWindow, dialog } from 'electron';
import { join } from 'node:path';
import { createWorkbench, type Workbench } from '../services/workbench.js';
import { appRoot, defaultTrainerPath, rendererDir, workbenchVersion } from '../app/paths.js';
import { registerIpc } from './ipc.js';
import { secureWebPreferences } from './policy.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { createSecretStore } from './secrets.js';
import { appOrigin, hardenApp } from './security.js';

const root = appRoot();
let workbench: Workbench | undefined;

registerAppScheme();
hardenApp();

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'MoE Workbench',
    show: false,
    webPreferences: secureWebPreferences(join(root, 'build', 'preload', 'preload.cjs')),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${appOrigin}/`);
}

app
  .whenReady()
  .then(() => {
    const dataDir = process.env.MOE_WORKBENCH_DATA ?? app.getPath('userData');
    // Secrets are encrypted with the OS keychain through safeStorage, or kept in memory only (with the
    // reason) when there is none; the services never see safeStorage itself.
    const options = {
      dataDir,
      trainerPath: defaultTrainerPath(root),
      transport: 'electron' as const,
      version: workbenchVersion(root),
      secrets: createSecretStore(dataDir),
    };
    workbench = createWorkbench(options);
    serveRenderer(rendererDir(root));
    registerIpc(workbench);
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  })
  .catch((err: unknown) => {
    console.error('MoE Workbench failed to start:', err);
    // A desktop user sees no console: show the services' message and what to do (a locked or damaged
    // database names its file and `moewb db restore`).
    const e = err as { message?: string; hint?: string };
    dialog.showErrorBox(
      'MoE Workbench could not start',
      [e.message ?? String(err), e.hint].filter((t): t is string => Boolean(t)).join('\n\n'),
    );
    app.exit(1);
  });

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  void workbench?.close();
});
