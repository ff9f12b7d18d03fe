import { spawn, type SpawnOptions } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';

export type Log = (line: string) => void;

export const defaultLog: Log = (line) => process.stderr.write(`[infra] ${line}\n`);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A process as recorded in a pid file: the pid plus its start time (from /proc), so that a pid recycled by the
 * kernel for some unrelated process is not mistaken for ours.
 */
export interface ProcessRecord {
  pid: number;
  startTime?: string;
}

function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses; the fields after the last ')' are plain
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (Linux); undefined where /proc is not available. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19]; // field 22 of /proc/<pid>/stat
}

/** True if the process exists and is not a zombie (an exited child nobody reaped yet). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procStat(pid)?.[0];
  return state !== 'Z' && state !== 'X';
}

export function isRecordAlive(rec: ProcessRecord | undefined): rec is ProcessRecord {
  if (!rec || !isAlive(rec.pid)) return false;
  if (rec.startTime === undefined) return true;
  const now = processStartTime(rec.pid);
  return now === undefined || now === rec.startTime;
}

/** The command line of a live process ('' if unknown), for checking that a pid is really what we started. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

export function currentProcessRecord(): ProcessRecord {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

export function recordOf(pid: number): ProcessRecord {
  return { pid, startTime: processStartTime(pid) };
}

export function readPidFile(path: string): ProcessRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  const [pid, startTime] = text.split(/\s+/);
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, startTime: startTime || undefined } : undefined;
}

/**
 * mkdir -p, where every folder it creates gets mode 755 whatever the umask: as root, PostgreSQL runs as the
 * postgres user, which must be able to walk through the state folders.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile by another process
      throw e;
    }
    chmodSync(d, 0o755);
  }
}

export function writePidFile(path: string, rec: ProcessRecord): void {
  makeDirs(dirname(path));
  writeFileSync(path, `${rec.pid}${rec.startTime ? ` ${rec.startTime}` : ''}\n`);
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Stops a process that leads its own process group (we start Kafka detached): SIGTERM to the whole group so a
 * graceful shutdown can run, SIGKILL to the group if it has not exited after `graceMs`.
 */
export async function terminateProcessGroup(
  rec: ProcessRecord,
  graceMs: number,
): Promise<'terminated' | 'killed'> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        // gone
      }
    }
  };
  signal('SIGTERM');
  if (await waitUntil(() => !isRecordAlive(rec), { timeoutMs: graceMs, intervalMs: 100 }))
    return 'terminated';
  signal('SIGKILL');
  await waitUntil(() => !isRecordAlive(rec), { timeoutMs: 10_000, intervalMs: 50 });
  return 'killed';
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a command to completion, collecting stdout and stderr together (shown only when something fails). */
export function run(command: string, args: string[], options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, output }));
  });
}

/** The last lines of a log file, for error messages. */
export function tailFile(path: string, lines = 30): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } finally {
    closeSync(fd);
  }
}

export function lastLines(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** True if something accepts TCP connections on host:port. */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host });
    const done = (answer: boolean) => {
      socket.destroy();
      resolvePromise(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const inProcessLocks = new Map<string, Promise<unknown>>();

/**
 * Serialises work on one profile across processes (jest's global setup, `npm start`, the CLI may race) and
 * within this process. The lock is a file holding the holder's pid; a holder that died leaves a stale file,
 * which is taken over.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  timeoutMs = 10 * 60_000,
): Promise<T> {
  const previous = inProcessLocks.get(lockPath) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => withCrossProcessLock(lockPath, fn, timeoutMs));
  inProcessLocks.set(lockPath, mine);
  try {
    return await mine;
  } finally {
    if (inProcessLocks.get(lockPath) === mine) inProcessLocks.delete(lockPath);
  }
}

async function withCrossProcessLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  makeDirs(dirname(lockPath));
  const me = currentProcessRecord();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, `${me.pid}${me.startTime ? ` ${me.startTime}` : ''}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readPidFile(lockPath);
      // a holder with our own pid is a leftover of an earlier run of a recycled pid: we hold no lock here
      if (!holder || holder.pid === me.pid || !isRecordAlive(holder)) {
        // empty file: the holder may be between create and write; give it a moment before taking over
        if (!holder) await sleep(200);
        const now = readPidFile(lockPath);
        // remove only the stale file we judged, not a fresh lock another waiter took meanwhile
        if (now?.pid === holder?.pid && now?.startTime === holder?.startTime) removeFile(lockPath);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${lockPath}, held by process ${holder.pid}`);
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    removeFile(lockPath);
  }
}
