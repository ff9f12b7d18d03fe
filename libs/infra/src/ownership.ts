import { currentProcessRecord, isRecordAlive, readPidFile, writePidFile } from './process';

/**
 * Who is responsible for stopping a running piece of infrastructure. The owner file records the process that
 * started it (or adopted it). A live owner elsewhere (an `npm run infra:up`, jest's global setup) keeps it; we
 * only reuse. A dead owner means a leftover from a run that crashed: we adopt it so it gets stopped when we are
 * done, instead of lingering forever.
 *
 * Returns true if the calling process now owns the piece.
 */
export function claimIfOrphaned(ownerFile: string): boolean {
  if (isRecordAlive(readPidFile(ownerFile))) return false;
  writePidFile(ownerFile, currentProcessRecord());
  return true;
}

export function claim(ownerFile: string): void {
  writePidFile(ownerFile, currentProcessRecord());
}
