/**
 * CPU accounting for a measured window: the server's CPU, this process's (the load generator),
 * and everything else the machine ran meanwhile. On a 2-core machine, a test suite running
 * next to the benchmark changes its figures; the "background" figure says when that happened.
 */
import { readdirSync, readFileSync } from "node:fs";

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

/**
 * CPU time of the local PostgreSQL server: every process named `postgres` (the postmaster, its
 * backends and background workers), plus the time of children the postmaster has already reaped
 * (a backend whose connection closed during the window). Undefined when none is visible, e.g. a
 * remote server or no /proc.
 */
export function postgresCpuMs(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const processes = new Map<number, { parent: number; ticks: number; reapedTicks: number }>();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile, or not readable
    }
    // pid (comm) state ppid … : comm may hold spaces and parentheses, so split after the last ")".
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (stat.slice(open + 1, close) !== "postgres") continue;
    const fields = stat.slice(close + 2).split(" ");
    // From the state field: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
    processes.set(Number(pid), {
      parent: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      reapedTicks: Number(fields[13]) + Number(fields[14]),
    });
  }
  if (processes.size === 0) return undefined;
  let ticks = 0;
  for (const postgres of processes.values()) {
    ticks += postgres.ticks;
    // Only the postmaster's reaped children are backends; it is the one without a postgres parent.
    if (!processes.has(postgres.parent)) ticks += postgres.reapedTicks;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
