// Keeps a launcher script alive exactly as long as whoever started it: stops it on SIGINT, SIGTERM and
// SIGHUP, and when a launching process goes away without passing its signal on. `npm run demo` is the
// case: npm exits on SIGTERM/SIGHUP without forwarding it, the `sh -c` between npm and the script
// keeps waiting, and the script would be re-parented and run on with every port bound.
import { readFileSync } from 'node:fs';

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function parentOf(pid) {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/**
 * The processes whose end means "stop": the parent, and when run by npm (npm_lifecycle_event set),
 * every process up to and including the npm process itself (the shell between them survives npm).
 */
export function launchers() {
  const pids = [process.ppid];
  if (!process.env.npm_lifecycle_event) return pids;
  for (let pid = process.ppid, depth = 0; pid > 1 && depth < 4; pid = parentOf(pid), depth++) {
    if (!pids.includes(pid)) pids.push(pid);
    if (cmdline(pid).some((arg) => /(^|\/)npm(-cli\.js)?$/.test(arg))) return pids;
  }
  return [process.ppid]; // no npm found above us: watch the parent only
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Calls `stop(reason)` once on a stop signal or when a launcher process has ended. */
export function stopWithLaunchers(stop, { intervalMs = 300 } = {}) {
  const watched = launchers();
  const parent = process.ppid;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  const timer = setInterval(() => {
    const gone = process.ppid !== parent ? parent : watched.find((pid) => !alive(pid));
    if (gone !== undefined) {
      clearInterval(timer);
      stop(`launcher ${gone} ended`);
    }
  }, intervalMs);
  timer.unref();
  return watched;
}
