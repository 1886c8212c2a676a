// What the user sees while a level is collected. The functions only report what happened;
// this module decides how it reads. At a terminal (listr2) each level is one line whose
// title counts the finished items, with the running ones under it: three levels fit any
// screen. Without a terminal (CI logs, `| tee`) each finished item is one line, prefixed by
// its level and host, and nothing is printed for items waiting or running.
import type { ItemRecord } from '../bundle/manifest.js';
import { formatBytes } from '../util/stamp.js';
import type { PlannedStep } from './plan.js';

/** The part of a listr2 task the progress writes to. */
export interface ProgressTask {
  title: string;
  output?: string;
}

export type LineWriter = (line: string) => void;

export function itemSummary(record: ItemRecord): string {
  const files = record.files ? `, ${record.files.length} files` : '';
  const size = record.bytes !== undefined ? `, ${formatBytes(record.bytes)}` : files;
  switch (record.status) {
    case 'ok':
      return `ok${size}${record.truncated ? ' (truncated)' : ''}`;
    case 'skipped':
      return `not collected: ${record.reason ?? ''}`;
    case 'not-installed':
      return `not installed: ${record.reason ?? ''}`;
    default:
      return `${record.status}: ${record.reason ?? ''}`;
  }
}

export class LevelProgress {
  private base: string;
  private readonly running = new Set<string>();
  private readonly counts = { done: 0, ok: 0, failed: [] as string[], notApplicable: 0 };
  private total = 0;

  /** `name` is the level and its host ("L1 root@lab-l1"); `lines` is set without a terminal. */
  constructor(
    private readonly name: string,
    private readonly task: ProgressTask,
    private readonly lines?: LineWriter,
  ) {
    this.base = name;
  }

  phase(text: string): void {
    this.task.output = text;
  }

  reached(description: string, steps: readonly PlannedStep[]): void {
    this.base = `${this.name}: ${description}`;
    this.total = steps.length;
    this.lines?.(`${this.base}`);
    this.task.output = '';
    this.show();
  }

  started(id: string): void {
    this.running.add(id);
    this.show();
  }

  finished(step: PlannedStep, record: ItemRecord): void {
    this.running.delete(step.collector.id);
    this.counts.done++;
    if (record.status === 'ok') this.counts.ok++;
    else if (record.status === 'skipped' || record.status === 'not-installed') this.counts.notApplicable++;
    else this.counts.failed.push(step.collector.id);
    this.lines?.(`${this.name}: ${step.collector.id}: ${itemSummary(record)}`);
    this.show();
  }

  private show(): void {
    const { done, ok, failed, notApplicable } = this.counts;
    const parts = [`${ok} ok`];
    if (failed.length) parts.push(`${failed.length} failed (${failed.join(', ')})`);
    if (notApplicable) parts.push(`${notApplicable} not collected`);
    const count = done < this.total ? `${done}/${this.total} items` : `${this.total} items`;
    this.task.title = this.total ? `${this.base}: ${count}: ${parts.join(', ')}` : this.base;
    this.task.output = this.running.size ? `running: ${shortList([...this.running])}` : '';
  }
}

/** A list that stays on one line of a terminal. */
function shortList(names: string[], most = 4): string {
  return names.length <= most ? names.join(', ') : `${names.slice(0, most).join(', ')} and ${names.length - most} more`;
}
