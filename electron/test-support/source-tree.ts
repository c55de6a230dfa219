import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './paths.js';

/** What the fake trainer of {@link sourceTree} reports (fixture values, not the project's pins). */
export const fakeTrainerFacts = { moetrain: '0.0.0-fixture', libtorch: '0.0.0-fixture' } as const;

/**
 * A small source tree with the shape of ours (native/, resources/presets/) whose build script follows
 * the `[build]` output protocol of native/scripts/build.sh and produces a binary answering
 * `version --json`, so the deployer's own logic runs in seconds. The real build is exercised by
 * deploy-local.test.ts. A random `native/NONCE` makes each tree's hash unique.
 */
export function sourceTree(): string {
  const root = tempDir('moewb-src-');
  mkdirSync(join(root, 'native', 'scripts'), { recursive: true });
  mkdirSync(join(root, 'native', 'src'), { recursive: true });
  mkdirSync(join(root, 'native', 'build'), { recursive: true });
  mkdirSync(join(root, 'resources', 'presets'), { recursive: true });
  writeFileSync(join(root, 'native', 'src', 'main.cpp'), 'int main() { return 0; }\n');
  writeFileSync(join(root, 'native', 'build', 'junk.o'), 'not a source');
  writeFileSync(join(root, 'resources', 'presets', 'tiny.flags'), '--hidden-size=64\n');
  writeFileSync(join(root, 'native', 'NONCE'), `${randomBytes(8).toString('hex')}\n`);
  writeFileSync(
    join(root, 'native', 'scripts', 'build.sh'),
    `#!/usr/bin/env bash
set -euo pipefail
N="$(cd "$(dirname "\${BASH_SOURCE[0]}")/.." && pwd)"
echo "[build] configure: cmake in $N/build"
if [[ -e "$N/src/FAIL" ]]; then
  echo "[build] error: cmake is not installed — install CMake 3.25 or newer (apt-get install -y cmake)" >&2
  exit 1
fi
mkdir -p "$N/build"
cat >"$N/build/moetrain" <<'BIN'
#!/bin/sh
echo '{"moetrain":"${fakeTrainerFacts.moetrain}","libtorch":"${fakeTrainerFacts.libtorch}",\
"cuda_built":false,"cuda_available":false,"cuda_version":null,"device_count":0,"devices":[]}'
BIN
chmod +x "$N/build/moetrain"
echo "[build] compile: 100% linked moetrain"
echo "[build] done: $N/build/moetrain"
`,
  );
  chmodSync(join(root, 'native', 'scripts', 'build.sh'), 0o755);
  return root;
}
