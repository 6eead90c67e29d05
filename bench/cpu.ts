/**
 * CPU accounting for a measured window: the server's CPU, this process's (the load generator),
 * and everything else the machine ran meanwhile. On a 2-core machine, a test suite running
 * next to the benchmark changes its figures; the "background" figure says when that happened.
 */
import { readFileSync } from "node:fs";

/** Linux clock ticks per second for /proc/stat (USER_HZ, 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** Busy CPU time of the whole machine (all cores, idle and iowait excluded), or undefined off Linux. */
export function machineBusyMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const fields = stat.split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
}

/** CPU time of this process (user + system, all threads). */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
