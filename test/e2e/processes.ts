/**
 * The engine's processes, read from /proc (Linux; elsewhere every list is empty). The CLI starts each
 * plugin (the language host, the dynamic provider's `sh` launcher and its `node`) in a process group
 * of its own, so killing the CLI's group leaves them running: a test that kills the CLI kills the
 * whole tree, and every stack checks at the end that none of its processes outlived it.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface EngineProcess {
  pid: number;
  ppid: number;
  pgid: number;
  command: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process ended, or there is no /proc
  }
}

function processOf(pid: number): EngineProcess | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (stat === undefined || cmdline === undefined) return undefined;
  // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so split after the last ")".
  const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (state === "Z") return undefined; // ended, not yet reaped
  return { pid, ppid: Number(ppid), pgid: Number(pgid), command: cmdline.split("\0").join(" ").trim() };
}

function allProcesses(): EngineProcess[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map((e) => processOf(Number(e)))
    .filter((p): p is EngineProcess => p !== undefined);
}

/** The process and all its descendants, parents first. */
export function processTree(rootPid: number): EngineProcess[] {
  const all = allProcesses();
  const tree = all.filter((p) => p.pid === rootPid);
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((p) => p.ppid === tree[i].pid));
  return tree;
}

/** SIGKILLs the process, its descendants and their process groups (each plugin leads one); returns what it killed. */
export function killProcessTree(rootPid: number): EngineProcess[] {
  const tree = processTree(rootPid);
  for (const target of [...new Set(tree.map((p) => -p.pgid)), ...tree.map((p) => p.pid)]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return tree;
}

/** Processes started for a stack: those whose environment holds its `PULUMI_HOME`. */
export function processesWithPulumiHome(pulumiHome: string): EngineProcess[] {
  const marker = `PULUMI_HOME=${pulumiHome}\0`;
  return allProcesses().filter((p) => p.pid !== process.pid && read(`/proc/${p.pid}/environ`)?.includes(marker));
}

/** The peak resident set (VmHWM) of a process in bytes, or undefined once it has ended. */
export function peakRss(pid: number): number | undefined {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`) ?? "")?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

/** Waits until `done()` or the deadline; says whether it became true. */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
