import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { EventBus } from '../util/event-bus.js';
import { SettingsStore, settingsHandlers } from './settings-store.js';

describe('settings', () => {
  it('keeps GPU-hour prices per node across instances and announces changes', async () => {
    const dir = tempDir();
    const events = new EventBus();
    const seen: unknown[] = [];
    events.on('settings:changed', (s) => seen.push(s));
    const h = settingsHandlers(new SettingsStore(dir), events);
    expect(await h['settings:get']({})).toEqual({ gpuHourPrice: {} });
    await h['settings:setPrice']({ nodeId: 'gpu1', pricePerGpuHour: 2.5 });
    await h['settings:setPrice']({ nodeId: 'gpu2', pricePerGpuHour: 0 });
    expect(new SettingsStore(dir).read()).toEqual({ gpuHourPrice: { gpu1: 2.5, gpu2: 0 } });
    await h['settings:setPrice']({ nodeId: 'gpu1', pricePerGpuHour: null });
    expect(new SettingsStore(dir).read()).toEqual({ gpuHourPrice: { gpu2: 0 } });
    expect(seen).toHaveLength(3);
  });

  it('reads a damaged or hand-edited file as defaults, dropping bad values', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), '{not json');
    expect(new SettingsStore(dir).read()).toEqual({ gpuHourPrice: {} });
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ gpuHourPrice: { a: -1, b: 'x', c: 3 } }));
    expect(new SettingsStore(dir).read()).toEqual({ gpuHourPrice: { c: 3 } });
  });
});
