// The fixed part of nestbug-collect.sh: POSIX sh that dash, bash and busybox sh all run.
// It mirrors the planner (src/collect/plan.ts) and the runner (src/collect/run.ts): the
// same applicability rules and reasons, the same statuses, the same manifest record per
// item. The generated part (src/script/generate.ts) defines one nb_item_N per collector.
// Tokens @@NAME@@ are filled by the generator.

/** Runs one item's command in its own session (the caller starts it with setsid): its
 * stdout is scrubbed when asked, capped at MAX+1 bytes (the runner cuts and marks it), its
 * stderr goes to a file, its exit status to another. */
export const JOB_SCRIPT = [
  'o=$1 e=$2 r=$3 s=$4 m=$5 c=$6 a=$7',
  'if [ "$s" = 1 ]; then',
  `  { eval "$c" </dev/null 2>"$e"; echo $? >"$r"; printf '\\n'; } | awk -f "$a" | head -c $((m + 1)) >"$o"`,
  'else',
  '  { eval "$c" </dev/null 2>"$e"; echo $? >"$r"; } | head -c $((m + 1)) >"$o"',
  'fi',
].join('\n');

/** Kills the item's process group when its time is up (TERM, then KILL 2 s later). */
export const WATCHDOG_SCRIPT =
  'sleep "$1"; : >"$2"; kill -TERM -"$3" 2>/dev/null || kill -TERM "$3"; sleep 2; kill -KILL -"$3" 2>/dev/null || kill -KILL "$3"';

/** JSON string of the input (text plus one extra "\n", see scrub-awk.ts). */
export const JSON_AWK = String.raw`BEGIN { for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i); printf "\"" }
{ s = $0; o = ""; n = length(s)
  for (i = 1; i <= n; i++) { c = substr(s, i, 1)
    if (c == "\\") o = o "\\\\"; else if (c == "\"") o = o "\\\""; else if (c in ctl) o = o ctl[c]; else o = o c }
  printf "%s%s", (NR > 1 ? "\\n" : ""), o }
END { printf "\"" }`;
