import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertTraversableByPostgres, databaseUrlFor, renderPostgresConf } from './postgres';

describe('databaseUrlFor', () => {
  it('points the admin URL at another database on the same server with the same credentials', () => {
    expect(databaseUrlFor('postgres://postgres:postgres@127.0.0.1:55433/postgres', 'unionfed_finance')).toBe(
      'postgres://postgres:postgres@127.0.0.1:55433/unionfed_finance',
    );
  });

  it('keeps connection parameters and works without a database in the admin URL', () => {
    expect(databaseUrlFor('postgres://u:p@db.example:5432?sslmode=require', 'unionfed_welfare')).toBe(
      'postgres://u:p@db.example:5432/unionfed_welfare?sslmode=require',
    );
  });
});

describe('renderPostgresConf', () => {
  it('listens on loopback only, on the profile port, with room for every service pool', () => {
    const conf = renderPostgresConf({ port: 55433, socketDir: '/x/run' });
    expect(conf).toContain('port = 55433');
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain("unix_socket_directories = '/x/run'");
    expect(conf).toContain('max_connections = 200');
    expect(conf).toContain('shared_buffers = 128MB');
    expect(conf).toContain("timezone = 'UTC'");
  });

  it('escapes quotes in the socket path and disables the socket when there is none', () => {
    expect(renderPostgresConf({ port: 1, socketDir: "/o'neil/run" })).toContain(
      "unix_socket_directories = '/o''neil/run'",
    );
    expect(renderPostgresConf({ port: 1 })).toContain("unix_socket_directories = ''");
  });
});

describe('assertTraversableByPostgres', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'infra-spec-'));
    chmodSync(base, 0o755);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('accepts a state folder below directories anyone may enter', () => {
    expect(() => assertTraversableByPostgres(join(base, '.unionfed', 'dev'))).not.toThrow();
  });

  it('explains how to move the state when a parent directory is private (like /root)', () => {
    chmodSync(base, 0o700);
    expect(() => assertTraversableByPostgres(join(base, '.unionfed', 'dev'))).toThrow(
      /UNIONFED_HOME=\/var\/tmp\/unionfed/,
    );
  });
});
