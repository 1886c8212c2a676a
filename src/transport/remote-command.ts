// What runs on a remote host for one SSH channel: a wrapper and a batch of commands.
//
// The wrapper gives the batch its own process group and watches the channel's stdin: when
// nestbug closes it (timeout, output cap, Ctrl-C) or the connection drops, the whole group
// is killed, so nothing is left running on the host. The batch runs its commands one after
// the other; around each it writes a start and an end line holding a random token, on
// stdout and on stderr. Only bytes between those lines belong to a command: whatever a
// login script prints before them is not evidence (FrameDemux splits the streams there).
// Commands travel as positional arguments, never through eval: the only text evaluated is
// the list of references "${1}" "${2}"... built by the script itself. Nothing is written
// on the host.
import { randomBytes } from 'node:crypto';
import { loginShellCommand } from './quote.js';

export type RemoteMode = 'plain' | 'sudo' | 'sudo-password';

export interface RemoteItem {
  argv: readonly string[];
  mode: RemoteMode;
}

export const CHANNEL_WRAPPER = `
# A normal user's PATH often lacks the sbin folders where dmidecode and libvirtd live;
# the C locale keeps outputs in the English the parsers read.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin; LC_ALL=C; export PATH LC_ALL
w=$1; shift
exec 3<&0
p=
if [ "$w" = 1 ]; then IFS= read -r p <&3; fi
s=; command -v setsid >/dev/null 2>&1 && s=setsid
printf '%s\\n' "$p" | $s "$@" &
c=$!; p=
( while read -r _; do :; done
  kill -TERM -$c 2>/dev/null || kill -TERM $c 2>/dev/null
  sleep 2
  kill -KILL -$c 2>/dev/null || kill -KILL $c 2>/dev/null ) <&3 >/dev/null 2>&1 &
w=$!
wait $c; r=$?
kill $w 2>/dev/null
exit $r
`;

export const BATCH_SCRIPT = `
t=$1; shift
IFS= read -r p
mark() { printf '\\n%s %s\\n' "$t" "$1"; printf '\\n%s %s\\n' "$t" "$1" >&2; }
while [ $# -ge 3 ]; do
  i=$1; m=$2; n=$3; shift 3
  a=; k=1
  while [ "$k" -le "$n" ]; do a="$a \\"\\\${$k}\\""; k=$((k + 1)); done
  mark "S $i"
  case $m in
    sudo) (eval "set -- $a"; exec sudo -n -- "$@") </dev/null ;;
    sudo-password) (eval "set -- $a"; printf '%s\\n' "$p" | sudo -S -p '' -- "$@") ;;
    *) (eval "set -- $a"; exec "$@") </dev/null ;;
  esac
  r=$?
  mark "E $i $r"
  shift "$n"
done
`;

export function batchToken(): string {
  return `NESTBUG-${randomBytes(16).toString('hex')}`;
}

/** The text sent to sshd for one channel; the sudo password, if any, goes first on stdin. */
export function channelCommand(token: string, items: readonly RemoteItem[]): string {
  const needsPassword = items.some((item) => item.mode === 'sudo-password');
  const batch = items.flatMap((item, i) => [String(i), item.mode, String(item.argv.length), ...item.argv]);
  const wrapper = ['sh', '-c', CHANNEL_WRAPPER, 'nestbug', needsPassword ? '1' : '0'];
  return loginShellCommand([...wrapper, 'sh', '-c', BATCH_SCRIPT, 'nestbug', token, ...batch]);
}
