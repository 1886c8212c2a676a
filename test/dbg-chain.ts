import { startChain } from './harness/chain.ts';
const chain = await startChain();
console.log(JSON.stringify(chain, null, 1));
if (process.env.KEEP) { console.log('keeping; ctrl-c to stop'); await new Promise(() => {}); }
await chain.stop();
