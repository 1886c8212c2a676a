// How many channels nestbug keeps open on one SSH connection. sshd's MaxSessions (10 by
// default, 1 on some hardened hosts) refuses channels beyond it: a refusal while other
// channels of ours are open lowers the limit to what the host accepted and waits for one
// of them to end, so the work goes on, one channel at a time if need be. A refusal with
// nothing of ours open (another client holds the sessions) is retried a few times.
import { messageOf } from '../errors.js';

const RETRY_MS = [50, 100, 200, 400, 800, 1600];

export function isRefusal(error: unknown): boolean {
  // OpenSSH at its session limit: "open failed"; dropbear under load: "Unable to exec".
  return /open fail|Unable to exec/i.test(messageOf(error));
}

export class ChannelPool {
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limit: number) {}

  get capacity(): number {
    return this.limit;
  }

  /** Opens a channel with `open`, retrying refusals; `release` when done with it. */
  async open<C>(open: () => Promise<C>): Promise<{ channel: C; release: () => void }> {
    for (let attempt = 0; ; ) {
      await this.acquire();
      try {
        const channel = await open();
        let released = false;
        const release = () => {
          if (!released) this.release();
          released = true;
        };
        return { channel, release };
      } catch (error) {
        this.release();
        if (!isRefusal(error)) throw error;
        if (this.inUse > 0) {
          this.limit = Math.max(1, this.inUse);
          continue;
        }
        if (attempt >= RETRY_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[attempt++]));
      }
    }
  }

  private async acquire(): Promise<void> {
    while (this.inUse >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inUse++;
  }

  private release(): void {
    this.inUse--;
    this.waiting.shift()?.();
  }
}
