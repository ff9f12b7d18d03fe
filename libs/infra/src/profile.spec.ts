import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { infraProfile, profilePaths, repoRoot } from './profile';

describe('infrastructure profiles', () => {
  it('finds the repository root by its nx.json', () => {
    expect(existsSync(join(repoRoot(), 'nx.json'))).toBe(true);
  });

  it('keeps dev and test apart: own state folder and own ports under <repo>/.unionfed', () => {
    const env = {};
    expect(infraProfile('dev', env)).toEqual({
      name: 'dev',
      stateDir: join(repoRoot(), '.unionfed', 'dev'),
      postgresPort: 55432,
      kafkaPort: 59092,
      kafkaControllerPort: 59093,
    });
    expect(infraProfile('test', env)).toEqual({
      name: 'test',
      stateDir: join(repoRoot(), '.unionfed', 'test'),
      postgresPort: 55433,
      kafkaPort: 59192,
      kafkaControllerPort: 59193,
    });
  });

  it('moves all state under UNIONFED_HOME when it is set', () => {
    expect(infraProfile('dev', { UNIONFED_HOME: '/var/tmp/unionfed' }).stateDir).toBe(
      '/var/tmp/unionfed/dev',
    );
  });

  it('shifts every port by UNIONFED_PORT_OFFSET so two checkouts can test side by side', () => {
    expect(infraProfile('test', { UNIONFED_PORT_OFFSET: '100' })).toMatchObject({
      postgresPort: 55533,
      kafkaPort: 59292,
      kafkaControllerPort: 59293,
    });
  });

  it('refuses a port offset that is not a whole number from 0 to 999', () => {
    for (const bad of ['-1', '1000', '1.5', 'ten'])
      expect(() => infraProfile('test', { UNIONFED_PORT_OFFSET: bad })).toThrow(/UNIONFED_PORT_OFFSET/);
  });

  it('keeps every file of a profile inside its state folder', () => {
    const p = infraProfile('test', { UNIONFED_HOME: '/var/tmp/unionfed' });
    for (const path of Object.values(profilePaths(p)))
      expect(path.startsWith('/var/tmp/unionfed/test/')).toBe(true);
  });
});
