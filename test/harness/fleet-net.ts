// Many chains of two "hosts" in network namespaces (as netns.ts makes one): L0 reachable
// from this machine over a veth pair, L1 reachable only from its L0 over a private /30.
// Names and addresses derive from the PID, so parallel runs do not collide.
import { CLIENT_KEY } from './hosts.ts';
import { atExit, run } from './processes.ts';

export const chainName = (i: number) => `chain${String(i + 1).padStart(2, '0')}`;

export interface ChainNet {
  index: number;
  l0: string;
  l1: string;
  l0Address: string;
  l1Address: string;
}

export function createChainNets(count: number): { chains: ChainNet[]; remove(): void } {
  const tag = `nf${process.pid % 10000}`;
  const second = 150 + (process.pid % 50);
  const names = Array.from({ length: count }, (_, i) => [`${tag}c${i}-0`, `${tag}c${i}-1`]);
  const remove = () => {
    for (const pair of names) for (const ns of pair) run(['ip', 'netns', 'del', ns], { allowFail: true });
  };
  remove();
  atExit(remove);
  const chains = names.map(([l0, l1], i) => {
    for (const ns of [l0, l1]) {
      run(['ip', 'netns', 'add', ns]);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const h = `${tag}c${i}h`;
    run(['ip', 'link', 'add', h, 'type', 'veth', 'peer', 'name', `${tag}c${i}a`, 'netns', l0]);
    run(['ip', 'addr', 'add', `10.${second}.${i}.1/30`, 'dev', h]);
    run(['ip', 'link', 'set', h, 'up']);
    run(['ip', '-n', l0, 'addr', 'add', `10.${second}.${i}.2/30`, 'dev', `${tag}c${i}a`]);
    run(['ip', '-n', l0, 'link', 'set', `${tag}c${i}a`, 'up']);
    run(['ip', '-n', l0, 'link', 'add', `${tag}c${i}b`, 'type', 'veth', 'peer', 'name', `${tag}c${i}c`, 'netns', l1]);
    run(['ip', '-n', l0, 'addr', 'add', `10.${second}.${100 + i}.1/30`, 'dev', `${tag}c${i}b`]);
    run(['ip', '-n', l0, 'link', 'set', `${tag}c${i}b`, 'up']);
    run(['ip', '-n', l1, 'addr', 'add', `10.${second}.${100 + i}.2/30`, 'dev', `${tag}c${i}c`]);
    run(['ip', '-n', l1, 'link', 'set', `${tag}c${i}c`, 'up']);
    return { index: i, l0, l1, l0Address: `10.${second}.${i}.2`, l1Address: `10.${second}.${100 + i}.2` };
  });
  return { chains, remove };
}

/** An Ansible inventory of the chains: L1 reached through its L0 (ProxyCommand). */
export function fleetInventory(nets: ChainNet[], knownHosts: string, itemTimeout: string): string {
  const ssh = `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o ConnectTimeout=5`;
  const lines = [
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${CLIENT_KEY}`,
    `    ansible_ssh_common_args: "${ssh}"`,
    '    ansible_python_interpreter: /usr/bin/python3',
    `    nestbug_item_timeout: ${itemTimeout}`,
    '  hosts:',
  ];
  for (const n of nets) {
    const c = chainName(n.index);
    lines.push(`    ${c}-l0: {ansible_host: ${n.l0Address}, nestbug_level: L0, nestbug_chain: ${c}}`);
    // L1 through its L0, as ssh -J would go
    const proxy = `-o ProxyCommand='ssh -i ${CLIENT_KEY} ${ssh} -W %h:%p root@${n.l0Address}'`;
    lines.push(
      `    ${c}-l1: {ansible_host: ${n.l1Address}, nestbug_level: L1, nestbug_l0: ${c}-l0, ansible_ssh_common_args: "${ssh} ${proxy}"}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
