// What the benchmarks read about their processes from /proc (Linux): CPU time, read/write system calls, RSS, pids.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU ms a process has used so far (utime + stime, 10 ms ticks); 0 when it is gone. */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** read + write system calls a process has made so far (/proc/<pid>/io); 0 when it is gone. */
export function syscalls(pid) {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/syscr: (\d+)/.exec(io)[1]) + Number(/syscw: (\d+)/.exec(io)[1]);
  } catch {
    return 0;
  }
}

/** Resident set size of a process, KB. */
export const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

/** The pids of the processes whose command line matches `pattern` (pgrep -f). */
export const pgrep = (pattern) =>
  execSync(`pgrep -f '${pattern}' || true`).toString().split('\n').filter(Boolean).map(Number);
