import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PresetInfo } from '../../contract/config.js';

/**
 * The presets directory the local trainer reads, found the way it finds it (docs/trainer-cli.md,
 * "Presets"): $MOETRAIN_PRESETS, else `<binary dir>/../../resources/presets`, else the source tree's.
 */
export function presetsDir(
  trainerPath: string,
  sourceRoot: string | null,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const candidates = [
    env.MOETRAIN_PRESETS,
    join(dirname(trainerPath), '..', '..', 'resources', 'presets'),
    sourceRoot ? join(sourceRoot, 'resources', 'presets') : undefined,
  ];
  for (const dir of candidates) {
    if (dir && existsSync(dir) && statSync(dir).isDirectory()) return dir;
  }
  return null;
}

/** Reads one preset file: its leading comment block is the description, `--name=value` lines its flags. */
export function parsePreset(name: string, text: string): PresetInfo {
  const description: string[] = [];
  const flags: Record<string, string> = {};
  let header = true;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      if (header) description.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (line === '') continue;
    header = false;
    const m = /^--([a-z0-9][a-z0-9-]*)(?:=(.*))?$/.exec(line);
    if (m) flags[m[1]!] = m[2] ?? 'true';
  }
  let text1 = description.join(' ').trim();
  // "jetmoe-tiny: a ~2M-parameter JetMoE ..." reads better without repeating the name.
  if (text1.toLowerCase().startsWith(`${name.toLowerCase()}:`)) text1 = text1.slice(name.length + 1).trim();
  return { name, description: text1, flags };
}

/** Every `*.flags` preset in the directory, smallest model first when the file says how big. */
export async function listPresets(dir: string | null): Promise<PresetInfo[]> {
  if (!dir) return [];
  const names = (await readdir(dir)).filter((f) => f.endsWith('.flags')).sort();
  const presets = await Promise.all(
    names.map(async (f) => parsePreset(f.slice(0, -'.flags'.length), await readFile(join(dir, f), 'utf8'))),
  );
  const size = (p: PresetInfo): number => Number(p.flags['hidden-size'] ?? 0) * Number(p.flags['num-layers'] ?? 0);
  return presets.sort((a, b) => size(a) - size(b) || a.name.localeCompare(b.name));
}
