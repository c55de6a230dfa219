/**
 * systemd-logind with KillUserProcesses=yes kills every process of a user (setsid and nohup included)
 * when their last session ends, unless lingering is enabled for them. This script reports both
 * settings as `logind_kill_user_processes=` and `logind_linger=` lines; it interpolates nothing.
 */
export const logindScript = `
kup=unknown; linger=unknown; me=$(id -un 2>/dev/null)
if [ -d /run/systemd/system ]; then
  v=$(busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager KillUserProcesses 2>/dev/null)
  case "$v" in *true*) kup=yes ;; *false*) kup=no ;; esac
  if [ "$kup" = unknown ]; then
    v=$(cat /etc/systemd/logind.conf /etc/systemd/logind.conf.d/*.conf 2>/dev/null \
| sed -n 's/^[[:space:]]*KillUserProcesses[[:space:]]*=[[:space:]]*//p' | tail -n 1)
    case "$v" in yes|true|1|on) kup=yes ;; no|false|0|off) kup=no ;; esac
  fi
  if [ -e "/var/lib/systemd/linger/$me" ]; then linger=yes; else
    l=$(loginctl show-user "$me" --property=Linger --value 2>/dev/null)
    case "$l" in yes) linger=yes ;; no) linger=no ;; *) [ -d /var/lib/systemd/linger ] && linger=no ;; esac
  fi
else
  kup=no-systemd
fi
echo "logind_user=$me"
echo "logind_kill_user_processes=$kup"
echo "logind_linger=$linger"
`;

/** The warning to show when logind would kill a detached run at logout, or null when it would not. */
export function logindWarning(facts: Record<string, string>, nodeName: string): string | null {
  if (facts.logind_kill_user_processes !== 'yes' || facts.logind_linger === 'yes') return null;
  const user = facts.logind_user || '<you>';
  return (
    `On ${nodeName}, systemd-logind kills all of ${user}'s processes at logout (KillUserProcesses=yes) and ` +
    `lingering is off, so a run would die when your last session there ends. ` +
    `Fix: run \`loginctl enable-linger ${user}\` on the node once (with sudo if it asks).`
  );
}

/** Parses `key=value` lines (the first `=` splits; repeated keys keep the last value). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trimEnd();
  }
  return out;
}
