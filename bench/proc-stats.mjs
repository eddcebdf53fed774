// What the benchmarks read about their processes from /proc (Linux): CPU time, read/write system calls, RSS, pids.
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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

/** Command lines of every process, read from /proc (no pgrep: spawning it every poll stalls a loaded machine). */
export function processTable() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      out.push([Number(d), readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ')]);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU ms of process groups over a phase, polled every 2 s, so a short-lived process (an autovacuum worker, a
 * backend the pool opens) counts up to its last poll; a process first seen after the start counts from 0.
 * `groups` maps a name to a fixed pid list or a RegExp over command lines (process titles).
 */
export function cpuMeter(groups) {
  const seen = Object.fromEntries(Object.keys(groups).map((k) => [k, new Map()])); // pid -> [first, last] ms
  let started = false;
  const poll = () => {
    const table = Object.values(groups).some((g) => g instanceof RegExp) ? processTable() : [];
    for (const [k, g] of Object.entries(groups)) {
      const pids = g instanceof RegExp ? table.filter(([, cmd]) => g.test(cmd)).map(([p]) => p) : g;
      for (const p of pids) {
        const ms = cpuMs(p);
        const e = seen[k].get(p);
        if (e) e[1] = Math.max(e[1], ms);
        else seen[k].set(p, [started ? 0 : ms, ms]);
      }
    }
    started = true;
  };
  poll();
  const timer = setInterval(poll, 2000);
  /** CPU ms per group since the start (or since the previous `lap`). */
  const read = () => {
    poll();
    return Object.fromEntries(
      Object.entries(seen).map(([k, m]) => [k, [...m.values()].reduce((n, [a, b]) => n + b - a, 0)]),
    );
  };
  let lapAt = null;
  return {
    read,
    lap() {
      const now = read();
      const prev = lapAt ?? Object.fromEntries(Object.keys(now).map((k) => [k, 0]));
      lapAt = now;
      return Object.fromEntries(Object.entries(now).map(([k, ms]) => [k, ms - prev[k]]));
    },
    stop: () => clearInterval(timer),
  };
}

/** CPU µs per unit of work of each group and the sum of the groups in `summed` (the rest shown beside it). */
export function perUnit(usedMs, units, summed) {
  const us = (ms) => (units > 0 ? Math.round((ms * 1000) / units) : null);
  const out = Object.fromEntries(Object.entries(usedMs).map(([k, ms]) => [k, us(ms)]));
  out.sum = us(summed.reduce((n, k) => n + (usedMs[k] ?? 0), 0));
  return out;
}
