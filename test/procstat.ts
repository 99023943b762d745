// What benchmarks read of another process from /proc (Linux): its CPU time and peak memory.
import { readFileSync } from 'node:fs';

/** utime + stime of a process, seconds (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
