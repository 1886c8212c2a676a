import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ChainResult,
  fleetCsv,
  fleetExitCode,
  fleetJson,
  fleetMarkdown,
  parseHosts,
  planChains,
} from '../../src/fleet/report.ts';

const HOSTS = JSON.stringify([
  { host: 'hv-01', level: 'L0', chain: 'rack1', archive: '/o/rack1/hv-01-L0.tar.gz', error: '' },
  { host: 'vm-101', level: 'L1', chain: 'rack1', archive: '', error: 'unreachable: ssh timed out' },
  { host: 'hv-02', level: 'L0', chain: 'b', archive: '/o/b/hv-02-L0.tar.gz', error: '' },
  { host: 'hv-03', level: 'L0', chain: 'b', archive: '/o/b/hv-03-L0.tar.gz', error: '' },
]);

test('hosts become chains sorted by name, levels in order; two hosts for one level is a problem of that chain', () => {
  const plans = planChains(parseHosts(HOSTS, 'hosts.json'));
  assert.equal(
    plans.map((p) => p.chain),
    ['b', 'rack1'],
  );
  assert.is(plans[0].problem, 'two hosts for L0: hv-02, hv-03');
  assert.is(plans[1].problem, undefined);
  assert.equal(
    plans[1].hosts.map((h) => h.level),
    ['L0', 'L1'],
  );
});

test('bad host lists are one clear error', () => {
  assert.throws(() => parseHosts('{', 'h.json'), /h\.json: not JSON/);
  assert.throws(
    () => parseHosts(JSON.stringify([{ host: 'a', level: 'L3', chain: 'c' }]), 'h.json'),
    /nestbug_level must be L0, L1 or L2/,
  );
  assert.throws(() => parseHosts(JSON.stringify([{ host: 'a', level: 'L0', chain: '../x' }]), 'h.json'), /chain name/);
});

test('fleet.json has exactly the contract keys; csv and markdown defuse host text', () => {
  const plans = planChains(parseHosts(HOSTS, 'hosts.json')).slice(1);
  const results: ChainResult[] = [
    {
      chain: 'rack1',
      bundle: '/o/rack1/nestbug-rack1.zip',
      exitCode: 3,
      partial: true,
      levels: {
        L0: { host: 'hv-01', reached: true, runsOn: 'kvm' },
        L1: { host: 'vm-101', reached: false, runsOn: 'unknown' },
      },
      failedChecks: ['l0-nested'],
    },
  ];
  const json = JSON.parse(fleetJson(results)) as { chains: ChainResult[] };
  assert.equal(Object.keys(json), ['chains']);
  assert.equal(Object.keys(json.chains[0]), ['chain', 'bundle', 'exitCode', 'partial', 'levels', 'failedChecks']);
  const csv = fleetCsv(plans, results).split('\n');
  assert.is(
    csv[0],
    'chain,exitCode,partial,L0_host,L0_reached,L0_runsOn,L1_host,L1_reached,L1_runsOn,L2_host,L2_reached,L2_runsOn,failedChecks,unreachable,bundle',
  );
  assert.is(
    csv[1],
    'rack1,3,true,hv-01,true,kvm,vm-101,false,unknown,,,,l0-nested,L1 vm-101: unreachable: ssh timed out,/o/rack1/nestbug-rack1.zip',
  );
  const evil = planChains(
    parseHosts(
      JSON.stringify([{ host: '=cmd|calc', level: 'L0', chain: 'x', archive: '', error: '<img src=x> | pipe' }]),
      'h',
    ),
  );
  const evilResult: ChainResult[] = [
    {
      chain: 'x',
      bundle: null,
      exitCode: 3,
      partial: true,
      levels: { L0: { host: '=cmd|calc', reached: false, runsOn: 'unknown' } },
      failedChecks: [],
    },
  ];
  assert.match(fleetCsv(evil, evilResult), /,"'=cmd\|calc",/);
  const md = fleetMarkdown(evil, evilResult, 'now');
  assert.not.match(md, /<img/);
  assert.match(md, /\| `x` \|/);
});

test('the fleet exit code: 3 when any chain is partial, else 4 when a check failed, else 0', () => {
  const row = (partial: boolean, failed: string[]): ChainResult => ({
    chain: 'c',
    bundle: null,
    exitCode: 0,
    partial,
    levels: {},
    failedChecks: failed,
  });
  assert.is(fleetExitCode([row(false, []), row(true, [])]), 3);
  assert.is(fleetExitCode([row(false, ['l1-on-kvm'])]), 4);
  assert.is(fleetExitCode([row(false, [])]), 0);
});

test.run();
