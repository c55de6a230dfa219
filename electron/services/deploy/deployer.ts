import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { trainerVersionSchema, type TrainerVersion } from '../../contract/app.js';
import type { Deployment, DeployProgress } from '../../contract/deploy.js';
import type { GpuInfo, NodeProfile } from '../../contract/nodes.js';
import { ServiceError } from '../errors.js';
import type { NodeHandle } from '../nodes/node.js';
import { parseGpuLines } from '../nodes/node-probe.js';
import { shellQuote } from '../util/shell-quote.js';
import { LineSplitter, parseBuildLine } from './build-output.js';
import type { DeploymentStore } from './deployment-store.js';
import { collectTrainerSources, type TrainerSources } from './sources.js';
import { tarSources } from './tar.js';

/**
 * Where "This machine" builds: `in-place` builds the checkout's own native/ (native/build/moetrain,
 * the binary the workbench runs locally); `copy` treats it like a remote node, with the sources
 * copied to `<home>/trainer/<hash>/`.
 */
export type LocalDeployMode = 'in-place' | 'copy';

/** What the deployer needs. */
export interface DeployerOptions {
  store: DeploymentStore;
  /** Root holding native/ and resources/presets (the checkout or the installed app). */
  sourceRoot: string;
  localMode: LocalDeployMode;
  /** Base directory for `copy` mode on This machine (`<dataDir>`); remote nodes use ~/.moe-workbench. */
  localCopyBase: string;
  onProgress: (p: DeployProgress) => void;
}

/** Where a deployed trainer lives on its node. */
export interface TrainerLocation {
  dir: string;
  binary: string;
  hash: string;
}

const buildLogLines = 60;

/** Deploys the trainer to a node: upload only a new source hash, build only an unbuilt one. */
export class Deployer {
  private readonly running = new Set<string>();

  constructor(private readonly o: DeployerOptions) {}

  /** Hashes the sources now (they may have changed since the last deploy). */
  sources(): TrainerSources {
    try {
      return collectTrainerSources(this.o.sourceRoot);
    } catch (err) {
      throw new ServiceError(
        'trainer_missing',
        `The trainer sources are not readable under ${this.o.sourceRoot}/native: ${(err as Error).message}`,
        'Run the workbench from its checkout or installation, which contains native/ and resources/presets/.',
      );
    }
  }

  /** The directory the given sources deploy to on a node. */
  async location(node: NodeHandle, hash: string): Promise<TrainerLocation> {
    let dir: string;
    if (node.kind === 'local' && this.o.localMode === 'in-place') dir = this.o.sourceRoot;
    else if (node.kind === 'local') dir = posix.join(this.o.localCopyBase, 'trainer', hash);
    else dir = posix.join(await node.homeDir(), '.moe-workbench', 'trainer', hash);
    return { dir, binary: posix.join(dir, 'native', 'build', 'moetrain'), hash };
  }

  /** Runs a deploy to completion; progress goes to onProgress, the outcome to the store. */
  async deploy(node: NodeHandle, profile: NodeProfile, force: boolean): Promise<Deployment> {
    if (this.running.has(profile.id)) {
      throw new ServiceError('conflict', `A deploy to "${profile.name}" is running already.`, 'Wait for it to finish.');
    }
    this.running.add(profile.id);
    try {
      return await this.run(node, profile, force);
    } finally {
      this.running.delete(profile.id);
    }
  }

  private async run(node: NodeHandle, profile: NodeProfile, force: boolean): Promise<Deployment> {
    const sources = this.sources();
    const loc = await this.location(node, sources.hash);
    const dep = this.o.store.start(profile.id, sources.hash, loc.dir);
    const progress = (phase: DeployProgress['phase'], message: string, extra: Partial<DeployProgress> = {}): void =>
      this.o.onProgress({ deploymentId: dep.id, nodeId: profile.id, phase, message, ...extra });
    const log: string[] = [];
    let uploaded = false;
    let built = false;
    try {
      progress(
        'hash',
        `trainer sources ${sources.hash.slice(0, 12)} (${sources.files.length} files, ${sources.bytes} bytes)`,
      );
      const inPlace = loc.dir === this.o.sourceRoot;
      const state = await this.check(node, loc, inPlace);
      progress(
        'check',
        `${state.hasSources ? 'sources present' : 'sources missing'}, ${state.built ? 'built' : 'not built'} on ${profile.name}`,
      );
      // In place the sources are the checkout itself: never copy over (let alone replace) it.
      if (!inPlace && (!state.hasSources || force)) {
        await this.upload(node, sources, loc, (transferred, total) =>
          progress('upload', `uploading ${total} bytes`, { transferred, total }),
        );
        uploaded = true;
      }
      if (!state.built || uploaded || force) {
        await this.build(node, profile, loc, inPlace, (line) => {
          log.push(line);
          if (log.length > buildLogLines) log.shift();
          const parsed = parseBuildLine(line);
          if (parsed?.kind === 'progress') progress('build', `${parsed.phase}: ${parsed.message}`);
        });
        built = true;
      }
      const reuse = !uploaded && !built ? this.o.store.readyWithHash(profile.id, sources.hash) : null;
      const facts = reuse?.facts ?? (await this.verify(node, loc));
      const gpus = reuse ? reuse.gpus : await this.gpus(node);
      progress(
        'done',
        uploaded || built ? `trainer ${facts.moetrain} ready on ${profile.name}` : `${profile.name} is up to date`,
      );
      return this.o.store.finish(dep.id, {
        status: 'ready',
        uploaded,
        built,
        logTail: log.join('\n') || null,
        facts: { ...facts, gpus },
      });
    } catch (err) {
      const e =
        err instanceof ServiceError
          ? err
          : new ServiceError('remote_failed', `Deploy to "${profile.name}" failed: ${(err as Error).message}`);
      progress('failed', e.hint ? `${e.message} — ${e.hint}` : e.message);
      this.o.store.finish(dep.id, {
        status: 'failed',
        uploaded,
        built,
        logTail: log.join('\n') || null,
        message: e.message,
        hint: e.hint ?? null,
      });
      throw e;
    }
  }

  private async check(
    node: NodeHandle,
    loc: TrainerLocation,
    inPlace: boolean,
  ): Promise<{ hasSources: boolean; built: boolean }> {
    const t = shellQuote(loc.dir);
    const script = `T=${t}
[ -f "$T/SOURCE_HASH" ] && echo "sources=$(cat "$T/SOURCE_HASH")"
[ -x "$T/native/build/moetrain" ] && echo "built=$(cat "$T/native/build/BUILT" 2>/dev/null)"
true`;
    const r = await node.exec(['sh', '-c', script], { timeoutMs: 30_000 });
    const text = r.stdout.toString('utf8');
    const hasSources = inPlace || text.includes(`sources=${loc.hash}`);
    return { hasSources, built: text.includes(`built=${loc.hash}`) };
  }

  private async upload(
    node: NodeHandle,
    sources: TrainerSources,
    loc: TrainerLocation,
    onProgress: (sent: number, total: number) => void,
  ): Promise<void> {
    if (loc.dir === this.o.sourceRoot) throw new Error('refusing to replace the source tree with a copy of itself');
    const archive = await tarSources(sources);
    onProgress(0, archive.length);
    const tmp = `${loc.dir}.tmp-${randomBytes(4).toString('hex')}`;
    // Unpack beside the target and rename into place: a target directory is always complete.
    const script = `set -e
T=${shellQuote(loc.dir)}; TMP=${shellQuote(tmp)}
mkdir -p "$TMP"
tar -x -f - -C "$TMP"
printf '%s\\n' ${shellQuote(loc.hash)} >"$TMP/SOURCE_HASH"
rm -rf "$T"
mv "$TMP" "$T"`;
    const r = await node.exec(['sh', '-c', script], { stdin: archive, timeoutMs: 600_000 });
    if (r.code !== 0) {
      await node.exec(['rm', '-rf', '--', tmp]).catch(() => undefined);
      throw new ServiceError(
        'remote_failed',
        `Copying the trainer sources to ${loc.dir} failed: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`,
        'Check free disk space and that `tar` is installed on the node.',
      );
    }
    onProgress(archive.length, archive.length);
  }

  private async build(
    node: NodeHandle,
    profile: NodeProfile,
    loc: TrainerLocation,
    inPlace: boolean,
    onLine: (line: string) => void,
  ): Promise<void> {
    const argv = ['bash', posix.join(loc.dir, 'native', 'scripts', 'build.sh')];
    // In place, keep the checkout's configuration (with tests); elsewhere only the binary is needed.
    if (!inPlace) argv.push('--no-tests');
    if (profile.python) argv.push('--python', profile.python);
    let error: { what: string; fix: string | null } | null = null;
    const lines = new LineSplitter((line) => {
      const parsed = parseBuildLine(line);
      if (parsed?.kind === 'error') error = { what: parsed.what, fix: parsed.fix };
      onLine(line);
    });
    const r = await node.exec(argv, {
      onStdout: (b) => lines.push(b),
      onStderr: (b) => lines.push(b),
      timeoutMs: 3 * 3600_000,
    });
    lines.end();
    if (r.code !== 0) {
      const found = error as { what: string; fix: string | null } | null;
      if (found)
        throw new ServiceError(
          'remote_failed',
          `Building the trainer on "${profile.name}" failed: ${found.what}`,
          found.fix ?? undefined,
        );
      throw new ServiceError(
        'remote_failed',
        `Building the trainer on "${profile.name}" failed (exit ${r.code ?? r.signal}).`,
        'The deployment keeps the end of the build log; fix what it names and deploy again.',
      );
    }
    await node.writeFileAtomic(posix.join(loc.dir, 'native', 'build', 'BUILT'), `${loc.hash}\n`);
  }

  /** The node's GPUs and driver (nvidia-smi), when it has any. */
  private async gpus(node: NodeHandle): Promise<GpuInfo[]> {
    const r = await node
      .exec(
        [
          'sh',
          '-c',
          'command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true',
        ],
        { timeoutMs: 60_000 },
      )
      .catch(() => null);
    const lines =
      r?.stdout
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim()) ?? [];
    return parseGpuLines(lines);
  }

  private async verify(node: NodeHandle, loc: TrainerLocation): Promise<TrainerVersion> {
    const r = await node.exec([loc.binary, 'version', '--json'], { timeoutMs: 60_000 });
    const text = r.stdout.toString('utf8');
    let parsed: ReturnType<typeof trainerVersionSchema.safeParse> | null = null;
    try {
      parsed = trainerVersionSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (r.code !== 0 || !parsed?.success) {
      throw new ServiceError(
        'trainer_failed',
        `The built trainer does not run: \`moetrain version --json\` ${r.code !== 0 ? `exited with ${r.code}` : 'printed no version'}: ` +
          r.stderr.toString('utf8').trim().split('\n').slice(-2).join(' '),
        'Deploy again with force; if it persists, the build log names the problem.',
      );
    }
    return parsed.data;
  }
}
