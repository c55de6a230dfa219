import { describe, expect, it } from 'vitest';
import type { DeployProgress } from '../contract/deploy.js';
import { progressPrinter } from './commands/deploy.js';

describe('moewb deploy progress', () => {
  it('prints the upload once, though the deployer reports its start and its end', () => {
    let out = '';
    const print = progressPrinter({ out: (t) => (out += t) });
    const at = (phase: DeployProgress['phase'], message: string, transferred?: number): DeployProgress => ({
      deploymentId: 1,
      nodeId: 'n-1',
      phase,
      message,
      ...(transferred !== undefined ? { transferred, total: 2048 } : {}),
    });
    print(at('check', 'sources missing, not built on gpu'));
    print(at('upload', 'uploading 2048 bytes', 0));
    print(at('upload', 'uploading 2048 bytes', 2048));
    print(at('build', 'cmake'));
    print(at('build', 'ninja'));
    expect(out).toBe(
      '[check] sources missing, not built on gpu\n[upload] uploading 2048 bytes\n[build] cmake\n[build] ninja\n',
    );
  });
});
