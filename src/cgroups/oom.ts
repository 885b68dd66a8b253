// OOM notification.
//  v1: an eventfd registered through cgroup.event_control for memory.oom_control; the eventfd
//      becomes readable (an 8-byte counter) on each OOM. It also fires once when the cgroup is
//      removed: after a wakeup, check `alive()` before reporting an OOM (runc does the same).
//  v2: no eventfd: memory.events changes (inotify IN_MODIFY, i.e. fs.watch(file)) and its
//      "oom_kill" counter grows. `count()` reads the counter on both versions.
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ffi } from '../libcontainer/sys/ffi';
import { CgroupError, parseKeyValues, readOptional, writeFile } from './fsutil';

export interface OomWatcher {
  /** v1 only: the eventfd (non-blocking unless asked otherwise) to poll/read. */
  fd?: number;
  /** The file to watch for changes (v1 memory.oom_control, v2 memory.events). */
  file: string;
  /** OOM kills in the cgroup so far ("oom_kill" of memory.oom_control / memory.events). */
  count(): number;
  /** False once the cgroup is gone (the v1 eventfd fires on removal too). */
  alive(): boolean;
  close(): void;
}

const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
let eventfdFn: ((init: number, flags: number) => number) | undefined;

function eventfd(flags: number): number {
  if (!eventfdFn) {
    eventfdFn = ffi().func('int eventfd(unsigned int, int)') as (init: number, flags: number) => number;
  }
  const fd = eventfdFn(0, flags);
  if (fd < 0) throw new CgroupError('cgroup: eventfd() failed');
  return fd;
}

export function oomWatcherV1(dir: string, blocking = false): OomWatcher {
  const file = join(dir, 'memory.oom_control');
  const ofd = openSync(file, constants.O_RDONLY);
  let efd: number;
  try {
    efd = eventfd(EFD_CLOEXEC | (blocking ? 0 : EFD_NONBLOCK));
  } catch (e) {
    closeSync(ofd);
    throw e;
  }
  try {
    writeFile(dir, 'cgroup.event_control', `${efd} ${ofd}`);
  } catch (e) {
    closeSync(efd);
    closeSync(ofd);
    throw e;
  }
  let open = true;
  return {
    fd: efd,
    file,
    count: () => parseKeyValues(readOptional(dir, 'memory.oom_control') ?? '').oom_kill ?? 0,
    alive: () => existsSync(join(dir, 'cgroup.event_control')),
    close() {
      if (!open) return;
      open = false;
      closeSync(efd);
      closeSync(ofd);
    },
  };
}

export function oomWatcherV2(dir: string): OomWatcher {
  const file = join(dir, 'memory.events');
  if (!existsSync(file)) throw new CgroupError(`cgroup: ${file} does not exist (memory controller not enabled?)`, 'ENOENT', file);
  return {
    file,
    count: () => parseKeyValues(readOptional(dir, 'memory.events') ?? '').oom_kill ?? 0,
    alive: () => existsSync(join(dir, 'cgroup.procs')),
    close() {},
  };
}
