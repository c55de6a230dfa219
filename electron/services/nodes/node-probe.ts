import type { GpuInfo, NodeProfile, NodeReport } from '../../contract/nodes.js';
import { ServiceError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { logindScript, logindWarning, parseKeyValues } from './logind.js';
import type { NodeHandle } from './node.js';

/** The shell script behind `nodes:test`; the only variable part (the Python) is quoted. */
export function probeScript(python: string): string {
  return `
PY=${shellQuote(python)}
echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
echo "os=$( . /etc/os-release 2>/dev/null; echo "\${PRETTY_NAME:-$(uname -s)}")"
echo "kernel=$(uname -r)"
echo "arch=$(uname -m)"
echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
echo "mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu=/'
fi
if command -v "$PY" >/dev/null 2>&1; then
  echo "python_path=$(command -v "$PY")"
  echo "python_version=$("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null)"
  "$PY" -c 'import torch; print("torch=%s %s" % (torch.__version__, torch.version.cuda))' 2>/dev/null
fi
for tool in cmake g++ nvcc; do
  path=$(command -v $tool 2>/dev/null)
  [ -z "$path" ] && [ $tool = nvcc ] && [ -x /usr/local/cuda/bin/nvcc ] && path=/usr/local/cuda/bin/nvcc
  [ -n "$path" ] && echo "tool_$tool=$("$path" --version 2>/dev/null | grep -m 1 -iE 'version|[0-9]+\\.[0-9]+')"
done
${logindScript}
`;
}

/** Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader` lines. */
export function parseGpuLines(lines: string[]): GpuInfo[] {
  return lines.map((line) => {
    const [name = '', memory = '', driver = ''] = line.split(',').map((s) => s.trim());
    const mib = /^(\d+)\s*MiB$/i.exec(memory);
    return { name, memoryMiB: mib ? Number(mib[1]) : null, driver: driver || null };
  });
}

/** Connects to a node and reports what it has: OS, CPUs, memory, GPUs, Python with torch, build tools. */
export async function probeNode(node: NodeHandle, profile: NodeProfile): Promise<NodeReport> {
  const result = await node.exec(['sh', '-c', probeScript(profile.python ?? 'python3')], { timeoutMs: 60_000 });
  const text = result.stdout.toString('utf8');
  if (result.code !== 0 && !text.includes('hostname=')) {
    throw new ServiceError(
      'remote_failed',
      `Could not inspect "${profile.name}": ${result.stderr.toString('utf8').trim() || `exit ${result.code}`}`,
      'Check that the node has a POSIX shell (sh) and standard tools.',
    );
  }
  const facts = parseKeyValues(text);
  const gpuLines = text
    .split('\n')
    .filter((l) => l.startsWith('gpu='))
    .map((l) => l.slice(4));
  const torch = /^(\S+) (\S+)$/.exec(facts.torch ?? '');
  const warnings: string[] = [];
  const logind = logindWarning(facts, profile.name);
  if (logind) warnings.push(logind);
  const python = facts.python_path
    ? {
        path: facts.python_path,
        version: facts.python_version ?? '',
        torch: torch ? { version: torch[1]!, cuda: torch[2] === 'None' ? null : torch[2]! } : null,
      }
    : null;
  if (!python)
    warnings.push(
      `No Python found as "${profile.python ?? 'python3'}"; the build needs Python with PyTorch (set the node's Python).`,
    );
  else if (!python.torch)
    warnings.push(`${python.path} has no PyTorch; install torch there or set another Python for the build.`);
  const gpus = parseGpuLines(gpuLines);
  if (gpus.length > 0 && python?.torch && python.torch.cuda === null) {
    warnings.push(
      `The node has GPUs but ${python.path}'s torch ${python.torch.version} is a CPU build; runs would not use the GPUs.`,
    );
  }
  const mem = Number(facts.mem_kib);
  const cpus = Number(facts.cpus);
  return {
    nodeId: profile.id,
    checkedAt: Date.now() / 1000,
    hostname: facts.hostname ?? '',
    os: facts.os ?? '',
    kernel: facts.kernel ?? '',
    arch: facts.arch ?? '',
    cpuCount: Number.isFinite(cpus) && cpus > 0 ? cpus : null,
    memoryBytes: Number.isFinite(mem) && mem > 0 ? mem * 1024 : null,
    gpus,
    python,
    tools: { cmake: facts.tool_cmake || null, gxx: facts['tool_g++'] || null, nvcc: facts.tool_nvcc || null },
    warnings,
  };
}
