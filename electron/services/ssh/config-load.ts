/**
 * Reads an OpenSSH client config with the `ssh-config` package and expands `Include` (which that package
 * parses but does not follow): glob patterns, `~`, paths relative to ~/.ssh, recursion up to 16 levels,
 * missing files ignored as OpenSSH does. Problems become warnings, never failures: a config that works
 * for `ssh` must not stop the workbench.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import SSHConfig, { LineType, type Directive, type Line, type Section } from 'ssh-config';
import { wildcardMatch } from './known-hosts.js';

/** A parsed config with Includes expanded, and what could not be honoured. */
export interface LoadedConfig {
  config: SSHConfig;
  warnings: string[];
}

const maxIncludeDepth = 16;

/** The value of a directive as a list of words. */
export function directiveValues(line: Directive): string[] {
  if (Array.isArray(line.value)) return line.value.map((v) => v.val);
  return line.quoted ? [line.value] : line.value.split(/\s+/).filter(Boolean);
}

function isSection(line: Line): line is Section {
  return line.type === LineType.DIRECTIVE && 'config' in line;
}

async function globPath(pattern: string): Promise<string[]> {
  const parts = pattern.split('/');
  let bases = [pattern.startsWith('/') ? '/' : ''];
  for (const part of parts) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(part)) {
        next.push(base === '' ? part : posix.join(base, part));
        continue;
      }
      const names = await readdir(base === '' ? '.' : base).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (wildcardMatch(part, name)) next.push(posix.join(base, name));
      }
    }
    bases = next;
  }
  return bases;
}

function expandIncludePath(raw: string, homeDir: string): string {
  if (raw === '~' || raw.startsWith('~/')) return join(homeDir, raw.slice(1));
  if (isAbsolute(raw)) return raw;
  // ssh_config(5): relative Include paths of a user config are relative to ~/.ssh.
  return join(homeDir, '.ssh', raw);
}

async function readConfigFile(path: string, warnings: string[]): Promise<SSHConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') warnings.push(`${path}: cannot be read (${code ?? 'error'}); skipped`);
    return undefined;
  }
  try {
    return SSHConfig.parse(text.replace(/\r\n/g, '\n'));
  } catch (err) {
    warnings.push(`${path}: cannot be parsed (${(err as Error).message}); skipped`);
    return undefined;
  }
}

async function expandIncludes(
  config: SSHConfig,
  file: string,
  homeDir: string,
  depth: number,
  warnings: string[],
): Promise<SSHConfig> {
  const out = new SSHConfig();
  for (const line of config) {
    if (isSection(line)) {
      const header = line;
      const inner = await expandIncludes(line.config, file, homeDir, depth, warnings);
      // Sections found inside an included file are hoisted after the enclosing section (exact for
      // `Host *`, an approximation for narrower blocks).
      const own = new SSHConfig();
      const hoisted: Line[] = [];
      for (const l of inner) (isSection(l) || hoisted.length > 0 ? hoisted : own).push(l);
      if (hoisted.length > 0 && !directiveValues(header).every((v) => v === '*' || v === 'all')) {
        warnings.push(
          `${file}: an Include inside "${header.param} ${directiveValues(header).join(' ')}" defines Host blocks; ` +
            'they are applied as if included after that block',
        );
      }
      header.config = own;
      out.push(header, ...hoisted);
      continue;
    }
    if (line.type === LineType.DIRECTIVE && line.param.toLowerCase() === 'include') {
      if (depth >= maxIncludeDepth) {
        warnings.push(`${file}: Include nested more than ${maxIncludeDepth} deep; ignored`);
        continue;
      }
      for (const raw of directiveValues(line)) {
        for (const path of await globPath(expandIncludePath(raw, homeDir))) {
          const included = await readConfigFile(path, warnings);
          if (included) out.push(...(await expandIncludes(included, path, homeDir, depth + 1, warnings)));
        }
      }
      continue;
    }
    out.push(line);
  }
  return out;
}

/** Loads `path` (a missing file is an empty config) with its Includes expanded. */
export async function loadSshConfig(path: string, homeDir: string): Promise<LoadedConfig> {
  const warnings: string[] = [];
  const parsed = (await readConfigFile(path, warnings)) ?? new SSHConfig();
  const config = await expandIncludes(parsed, path, homeDir, 0, warnings);
  return { config, warnings };
}

/** The concrete host aliases of a config (Host words without wildcards or negation), in file order. */
export function configAliases(config: SSHConfig): string[] {
  const seen = new Set<string>();
  for (const line of config) {
    if (!isSection(line) || line.param.toLowerCase() !== 'host') continue;
    for (const word of directiveValues(line)) {
      if (/[*?!]/.test(word) || seen.has(word)) continue;
      seen.add(word);
    }
  }
  return [...seen];
}

/** Match criteria the library cannot evaluate, for warnings (`exec` is deliberately never run). */
export function unsupportedMatchCriteria(config: SSHConfig): string[] {
  const supported = new Set(['all', 'host', 'originalhost', 'user', 'localuser', 'final']);
  const out = new Set<string>();
  for (const line of config) {
    if (!isSection(line) || line.param.toLowerCase() !== 'match' || !('criteria' in line)) continue;
    for (const key of Object.keys((line as Section & { criteria: Record<string, unknown> }).criteria)) {
      if (!supported.has(key.toLowerCase())) out.add(key.toLowerCase());
    }
  }
  return [...out];
}
