// preflight: resources the cgroup version cannot apply, and a frozen or populated target cgroup,
// refused/warned before anything is created. Fixture trees (test/fixtures/cgroups/tree.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTargetCgroup, newManager, preflight, validateResources } from '../../src/cgroups/index';
import { Fixture, makeV1Tree, makeV2Tree } from '../fixtures/cgroups/tree';

let f: Fixture | undefined;
test.after.each(() => {
  f?.cleanup();
  f = undefined;
});

const v1 = (without: string[] = []) => {
  f = makeV1Tree('/c', { unified: true, without });
  return newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root });
};
const v2 = (files: Record<string, string | undefined> = {}) => {
  f = makeV2Tree('/c', files);
  return newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root });
};

const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '(accepted)';
};

test('v1: unified is refused with runc\'s exact text; an empty unified map is fine', () => {
  const m = v1();
  assert.is(refusal(() => validateResources(m, { unified: { 'pids.max': '10' } })), 'invalid configuration: cannot use unified on cgroup v1');
  assert.is(refusal(() => validateResources(m, { unified: {} })), '(accepted)');
});

test('v1: a limit whose controller is not mounted names the field and the controller', () => {
  const m = v1(['hugetlb', 'net_cls', 'rdma']);
  assert.is(refusal(() => validateResources(m, { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })), 'invalid configuration: linux.resources.hugepageLimits: cannot set hugetlb limit: the hugetlb controller is not mounted on this host');
  assert.is(refusal(() => validateResources(m, { network: { classID: 1 } })), 'invalid configuration: linux.resources.network.classID: cannot set net_cls limit: the net_cls controller is not mounted on this host');
  assert.is(refusal(() => validateResources(m, { rdma: { mlx5_0: { hcaHandles: 1 } } })), 'invalid configuration: linux.resources.rdma: cannot set rdma limit: the rdma controller is not mounted on this host');
  // Unrequested (empty) resources of a missing controller are fine.
  assert.is(refusal(() => validateResources(m, { hugepageLimits: [], network: {}, memory: { limit: 1 << 20 } })), '(accepted)');
});

test('memory.swap: the combinations the kernel (v1) and runc (v2) refuse, on both versions', () => {
  for (const m of [v1(), v2()]) {
    assert.is(refusal(() => validateResources(m, { memory: { swap: 100 } })), 'invalid configuration: linux.resources.memory.swap: unable to set swap limit without memory limit');
    assert.is(refusal(() => validateResources(m, { memory: { limit: -1, swap: 100 } })), 'invalid configuration: linux.resources.memory.swap: unable to set swap limit without memory limit');
    assert.is(refusal(() => validateResources(m, { memory: { limit: 200, swap: 100 } })), 'invalid configuration: linux.resources.memory.swap: memory+swap limit should be >= memory limit');
    for (const ok of [{ limit: 100, swap: 200 }, { limit: 100, swap: -1 }, { limit: -1 }, { swap: 0 }]) assert.is(refusal(() => validateResources(m, { memory: ok })), '(accepted)', JSON.stringify(ok));
    f?.cleanup();
    f = undefined;
  }
});

test('v1: swappiness outside 0-100 is refused; -1 means unset', () => {
  const m = v1();
  assert.is(refusal(() => validateResources(m, { memory: { swappiness: 101 } })), 'invalid configuration: linux.resources.memory.swappiness: invalid memory swappiness value: 101 (valid range is 0-100)');
  assert.is(refusal(() => validateResources(m, { memory: { swappiness: -1 } })), '(accepted)');
});

test('v2: net_cls/net_prio and malformed unified keys are refused; unified itself is fine', () => {
  const m = v2();
  assert.is(refusal(() => validateResources(m, { network: { classID: 1 } })), 'invalid configuration: linux.resources.network.classID: net_cls is not available on cgroup v2');
  assert.is(refusal(() => validateResources(m, { network: { priorities: [{ name: 'lo', priority: 1 }] } })), 'invalid configuration: linux.resources.network.priorities: net_prio is not available on cgroup v2');
  assert.match(refusal(() => validateResources(m, { unified: { '../pids.max': '1' } })), /^invalid configuration: linux\.resources\.unified\["\.\.\/pids\.max"\]: /);
  assert.match(refusal(() => validateResources(m, { unified: { nodot: '1' } })), /^invalid configuration: linux\.resources\.unified\["nodot"\]: /);
  assert.is(refusal(() => validateResources(m, { unified: { 'pids.max': '10', 'memory.high': 'max' } })), '(accepted)');
});

test('target cgroup: frozen (v1 freezer.state, self-frozen) is an error; frozen through a parent is not', () => {
  const m = v1();
  f!.write('freezer/c/freezer.state', 'FROZEN');
  f!.write('freezer/c/freezer.self_freezing', '1');
  assert.is(refusal(() => checkTargetCgroup(m, () => {})), "container's cgroup unexpectedly frozen");
  f!.write('freezer/c/freezer.self_freezing', '0');
  assert.is(refusal(() => checkTargetCgroup(m, () => {})), '(accepted)');
});

test('target cgroup: frozen v2 (cgroup.freeze) is an error', () => {
  const m = v2({ 'cgroup.freeze': '1' });
  assert.is(refusal(() => checkTargetCgroup(m, () => {})), "container's cgroup unexpectedly frozen");
});

test('target cgroup: missing (the usual case) passes; populated warns with runc\'s count', () => {
  f = makeV1Tree('/other', { unified: true });
  const fresh = newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root });
  const warnings: string[] = [];
  checkTargetCgroup(fresh, (w) => warnings.push(w));
  assert.equal(warnings, []);
  f.cleanup();
  const m = v1();
  f!.write('devices/c/cgroup.procs', '4242\n4343\n');
  checkTargetCgroup(m, (w) => warnings.push(w));
  assert.is(warnings[0], "container's cgroup is not empty: 2 process(es) found");
  assert.is(warnings.length, 2, 'and the deprecation note');
});

test('preflight returns the manager, or throws before it is returned (the caller never owns a refused cgroup)', () => {
  const m = v1();
  assert.is(preflight(m, { memory: { limit: 1 << 20 } }, () => {}), m);
  assert.throws(() => preflight(m, { unified: { 'pids.max': '1' } }, () => {}), /cannot use unified on cgroup v1/);
});

test.run();
