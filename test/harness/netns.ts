// Two "hosts" in network namespaces: L0 reachable from here over a veth pair, L1 reachable
// only from L0 over a private /30 that exists inside the namespaces (as a guest's address
// on L0's bridge is). Removed again at the end of the run.
import { atExit, run } from './processes.ts';

export interface NetnsPair {
  l0: string;
  l1: string;
  /** L0's address as seen from this machine. */
  l0Address: string;
  /** L1's private address, reachable from L0 only. */
  l1Address: string;
  remove(): void;
}

export function createNetnsPair(): NetnsPair {
  const tag = `nb${process.pid % 100000}`;
  const l0 = `${tag}-l0`;
  const l1 = `${tag}-l1`;
  const net = 200 + (process.pid % 50);
  const remove = () => {
    run(['ip', 'netns', 'del', l0], { allowFail: true });
    run(['ip', 'netns', 'del', l1], { allowFail: true });
  };
  remove();
  atExit(remove);
  for (const ns of [l0, l1]) {
    run(['ip', 'netns', 'add', ns]);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  // this machine <-> L0
  run(['ip', 'link', 'add', `${tag}h`, 'type', 'veth', 'peer', 'name', `${tag}a`, 'netns', l0]);
  run(['ip', 'addr', 'add', `10.${net}.36.1/30`, 'dev', `${tag}h`]);
  run(['ip', 'link', 'set', `${tag}h`, 'up']);
  run(['ip', '-n', l0, 'addr', 'add', `10.${net}.36.2/30`, 'dev', `${tag}a`]);
  run(['ip', '-n', l0, 'link', 'set', `${tag}a`, 'up']);
  // L0 <-> L1, private
  run(['ip', '-n', l0, 'link', 'add', `${tag}b`, 'type', 'veth', 'peer', 'name', `${tag}c`, 'netns', l1]);
  run(['ip', '-n', l0, 'addr', 'add', `10.${net}.37.1/30`, 'dev', `${tag}b`]);
  run(['ip', '-n', l0, 'link', 'set', `${tag}b`, 'up']);
  run(['ip', '-n', l1, 'addr', 'add', `10.${net}.37.2/30`, 'dev', `${tag}c`]);
  run(['ip', '-n', l1, 'link', 'set', `${tag}c`, 'up']);
  return { l0, l1, l0Address: `10.${net}.36.2`, l1Address: `10.${net}.37.2`, remove };
}
