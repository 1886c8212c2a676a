// For development: bring the nested chain up and keep it until Ctrl-C.
//   node --import tsx test/harness/chain-up.ts
import { startChain } from './chain.ts';

const chain = await startChain();
console.log(JSON.stringify({ ...chain, stop: undefined }, null, 1));
console.log(`L1: ssh -i ${chain.key} -o UserKnownHostsFile=${chain.knownHosts} -p ${chain.l1Port} root@127.0.0.1`);
console.log('Ctrl-C stops the chain.');
await new Promise(() => {});
