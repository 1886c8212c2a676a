// How a command runs on a remote host. sshd hands our text to the user's login shell
// (bash, dash, busybox sh...), so the text is always `exec sh -c WRAPPER ...` with every
// argument quoted by quoteArgv. The wrapper gives the command its own process group and
// watches the channel's stdin: when nestbug closes it (timeout, output cap, Ctrl-C) or the
// connection drops, the whole group is killed, so nothing is left running on the host.
import { quoteArgv } from './quote.js';

export type RemoteMode = 'plain' | 'sudo' | 'sudo-password';

export const REMOTE_WRAPPER = [
  // A normal user's PATH often lacks the sbin folders where dmidecode and libvirtd live;
  // the C locale keeps outputs in the English the parsers read.
  'PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin; LC_ALL=C; export PATH LC_ALL',
  'm=$1; shift',
  'exec 3<&0',
  'if [ "$m" = sudo-password ]; then IFS= read -r p <&3; fi',
  's=; command -v setsid >/dev/null 2>&1 && s=setsid',
  'case $m in',
  '  plain) $s "$@" </dev/null & ;;',
  '  sudo) $s sudo -n -- "$@" </dev/null & ;;',
  `  sudo-password) printf '%s\\n' "$p" | $s sudo -S -p '' -- "$@" & ;;`,
  'esac',
  'c=$!; p=',
  '( while read -r _; do :; done',
  '  kill -TERM -$c 2>/dev/null || kill -TERM $c 2>/dev/null',
  '  sleep 2',
  '  kill -KILL -$c 2>/dev/null || kill -KILL $c 2>/dev/null ) <&3 >/dev/null 2>&1 &',
  'w=$!',
  'wait $c; r=$?',
  'kill $w 2>/dev/null',
  'exit $r',
].join('\n');

export function remoteCommand(argv: readonly string[], mode: RemoteMode): string {
  return `exec ${quoteArgv(['sh', '-c', REMOTE_WRAPPER, 'nestbug', mode, ...argv])}`;
}
