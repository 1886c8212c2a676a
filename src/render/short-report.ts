// Pure: inspect's short report at a terminal. The plain sentence first, the level once
// per line, no parentheses inside parentheses.

import { runsOnLabel } from '../analyse/runs-on.js';
import type { Verdict } from '../analyse/types.js';
import type { Manifest } from '../bundle/manifest.js';
import { checkLines } from './check-line.js';
import { decidingFiles, flattenParentheses, missingDocItems, plainSentence } from './results.js';

export function shortReport(verdict: Verdict, manifest?: Manifest): string[] {
  const missing = missingDocItems(manifest);
  return [
    plainSentence(verdict, manifest),
    '',
    `Nested setup: ${verdict.chainName}`,
    flattenParentheses(verdict.chainLine),
    '',
    ...Object.values(verdict.levels).map((v) =>
      v!.runsOn === 'unknown'
        ? `${v!.level}: cannot tell what it runs on; ${decidingFiles(v!.level)} would decide it`
        : `${v!.level}: runs on ${runsOnLabel(v!.runsOn)}${v!.platform ? ` on ${v!.platform.name}` : ''}. ${flattenParentheses(v!.reason)}`,
    ),
    ...(missing.length
      ? [
          '',
          'Missing items the kernel doc asks for:',
          ...missing.map((m) => `  ${m.level} ${m.id} (${m.what}): ${m.how}`),
        ]
      : []),
    '',
    ...verdict.checks.map((c) => checkLines({ ...c, summary: flattenParentheses(c.summary) })),
  ];
}
