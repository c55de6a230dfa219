import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../contract/settings.js';
import type { Handlers } from '../rpc/handlers.js';
import type { EventBus } from '../util/event-bus.js';

const empty = (): Settings => ({ gpuHourPrice: {} });

/** Preferences in `<dataDir>/settings.json`, replaced atomically; a damaged file reads as defaults. */
export class SettingsStore {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'settings.json');
  }

  /** The current settings. */
  read(): Settings {
    if (!existsSync(this.path)) return empty();
    try {
      const raw = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<Settings>;
      const prices: Record<string, number> = {};
      for (const [k, v] of Object.entries(raw.gpuHourPrice ?? {})) if (typeof v === 'number' && v >= 0) prices[k] = v;
      return { gpuHourPrice: prices };
    } catch {
      return empty();
    }
  }

  /** Sets or clears one node's GPU-hour price. */
  setPrice(nodeId: string, price: number | null): Settings {
    const s = this.read();
    if (price === null) delete s.gpuHourPrice[nodeId];
    else s.gpuHourPrice[nodeId] = price;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(s, null, 1) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
    return s;
  }
}

/** Handlers of the `settings` domain. */
export function settingsHandlers(
  store: SettingsStore,
  events: EventBus,
): Pick<Handlers, 'settings:get' | 'settings:setPrice'> {
  return {
    'settings:get': async () => store.read(),
    'settings:setPrice': async ({ nodeId, pricePerGpuHour }) => {
      const s = store.setPrice(nodeId, pricePerGpuHour);
      events.emit('settings:changed', s);
      return s;
    },
  };
}
