// A real terminal for the wizard: tmux runs nestbug in a pseudo-terminal; tests type keys
// and read the screen. CI is unset: nestbug never prompts under CI=true, and the tmux
// server hands its own environment (the test runner's) to the command. Each terminal has
// its own tmux server (socket): a shared default server ends when another test, or another
// run on the same machine, closes its last session.
import path from 'node:path';
import { ROOT } from '../helpers.ts';
import { run } from './processes.ts';

export class Terminal {
  private constructor(readonly name: string) {}

  static start(args: string[], options: { home: string; cwd: string; ci?: boolean; rows?: number }): Terminal {
    const name = `nestbug-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const command = `cd '${options.cwd}' && env -u CI ${options.ci ? 'CI=true ' : ''}HOME='${options.home}' NO_COLOR=1 '${process.execPath}' '${path.join(ROOT, 'bin', 'nestbug.js')}' ${args.join(' ')}; echo "EXIT=$?"; sleep 600`;
    run(['tmux', '-L', name, 'new-session', '-d', '-s', name, '-x', '200', '-y', String(options.rows ?? 60), command]);
    return new Terminal(name);
  }

  screen(): string {
    return run(['tmux', '-L', this.name, 'capture-pane', '-p', '-J', '-S', '-500', '-t', this.name], {
      allowFail: true,
    });
  }

  keys(...keys: string[]): void {
    run(['tmux', '-L', this.name, 'send-keys', '-t', this.name, ...keys]);
  }

  type(text: string): void {
    run(['tmux', '-L', this.name, 'send-keys', '-t', this.name, '-l', text]);
  }

  async waitFor(pattern: RegExp, timeoutMs = 30000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the terminal:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Moves the highlight (❯) of a select prompt to the option matching `choice`, then Enter. */
  async choose(choice: RegExp): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const lines = this.screen().split('\n');
      const current = [...lines].reverse().find((l) => l.trimStart().startsWith('❯'));
      if (current && choice.test(current)) {
        this.keys('Enter');
        return;
      }
      this.keys('Down');
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no option matching ${choice} on the terminal:\n${this.screen()}`);
  }

  close(): void {
    run(['tmux', '-L', this.name, 'kill-server'], { allowFail: true });
  }
}
