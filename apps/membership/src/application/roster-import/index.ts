/**
 * 花名册导入 as background jobs: `scheduler` queues and holds them (heartbeat, abandoned jobs, leftover uploads),
 * `pipeline` runs one from its file (parse → check → diff → apply, in passes and batches), `plan` is what one batch
 * comes to before anything is written.
 */
export { RosterImports, UPLOAD_DIRECTORY, type ImportRequest } from './scheduler';
export { IMPORT_BATCH_ROWS, IMPORT_WRITERS, MAX_STORED_PROBLEMS } from './pipeline';
