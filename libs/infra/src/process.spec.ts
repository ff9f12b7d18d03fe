import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  currentProcessRecord,
  isRecordAlive,
  readPidFile,
  sleep,
  withFileLock,
  writePidFile,
} from './process';

describe('pid files and locks', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'infra-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;

  it('records a process with its start time and recognises it as alive', () => {
    const file = join(dir, 'x.pid');
    writePidFile(file, currentProcessRecord());
    const rec = readPidFile(file);
    expect(rec?.pid).toBe(process.pid);
    expect(isRecordAlive(rec)).toBe(true);
  });

  it('does not mistake a recycled pid (other start time) or an exited process for the recorded one', () => {
    expect(isRecordAlive({ pid: process.pid, startTime: '1' })).toBe(false);
    expect(isRecordAlive({ pid: deadPid() })).toBe(false);
    expect(readPidFile(join(dir, 'missing.pid'))).toBeUndefined();
  });

  it('runs locked sections one after another', async () => {
    const lock = join(dir, 'a.lock');
    const events: string[] = [];
    const section = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name}:in`);
        await sleep(30);
        events.push(`${name}:out`);
      });
    await Promise.all([section('a'), section('b')]);
    expect(events).toEqual(['a:in', 'a:out', 'b:in', 'b:out']);
  });

  it('takes over a lock left behind by a process that died', async () => {
    const lock = join(dir, 'b.lock');
    writeFileSync(lock, `${deadPid()}\n`);
    await expect(withFileLock(lock, async () => 'got it', 2000)).resolves.toBe('got it');
  });
});
