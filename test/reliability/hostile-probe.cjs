// Run as another (unprivileged) uid by hostile-user.test.ts: tries every way in to a live
// container's state and the runtime's fds, and prints one JSON object: probe -> "ok" or the
// error code. Usage: node hostile-probe.cjs <state-root> <id> <init-pid>
'use strict';
const fs = require('node:fs');
const [root, id, pid] = process.argv.slice(2);
const out = {};
const probe = (name, fn) => {
  try {
    const r = fn();
    out[name] = r === undefined ? 'ok' : r;
  } catch (e) {
    out[name] = e.code || String(e.message);
  }
};
probe('readdir root', () => fs.readdirSync(root).join(','));
// Whether an id exists must not be told apart from whether it does not.
probe('stat existing id', () => void fs.statSync(`${root}/${id}`));
probe('stat missing id', () => void fs.statSync(`${root}/${id}-no-such-container`));
probe('readdir container dir', () => fs.readdirSync(`${root}/${id}`).join(','));
probe('read state.json', () => void fs.readFileSync(`${root}/${id}/state.json`));
// O_RDWR never blocks on a fifo; holding it open would keep `start` from ever seeing EOF.
probe('open exec.fifo rdwr', () => void fs.openSync(`${root}/${id}/exec.fifo`, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
probe('open exec.fifo wronly', () => void fs.openSync(`${root}/${id}/exec.fifo`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
if (pid && pid !== '0') {
  probe('readdir /proc/pid/fd', () => fs.readdirSync(`/proc/${pid}/fd`).join(','));
  for (let fd = 0; fd < 16; fd++) {
    probe(`open /proc/pid/fd/${fd}`, () => {
      try {
        fs.closeSync(fs.openSync(`/proc/${pid}/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
      } catch (e) {
        if (e.code === 'ENOENT') return 'ENOENT';
        if (e.code === 'ENXIO' || e.code === 'EISDIR') return 'ok'; // reached the file itself
        throw e;
      }
    });
  }
  probe('read /proc/pid/environ', () => void fs.readFileSync(`/proc/${pid}/environ`));
  probe('readdir /proc/pid/root', () => void fs.readdirSync(`/proc/${pid}/root/`));
  probe('readlink /proc/pid/cwd', () => fs.readlinkSync(`/proc/${pid}/cwd`));
}
process.stdout.write(JSON.stringify(out) + '\n');
