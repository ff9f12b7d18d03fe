import { readFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_PATH } from './subgraphs';

describe('the checked-in supergraph', () => {
  it('is what composing the current subgraph SDL files gives (run `npm run supergraph:compose` when this fails)', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph());
  });

  it('has every service contribute to it', () => {
    const supergraph = composeSupergraph();
    for (const name of ['MEMBERSHIP', 'FINANCE', 'CONGRESS', 'ACTIVITIES', 'WELFARE']) {
      expect(supergraph).toMatch(new RegExp(`${name} @join__graph\\(name: "${name.toLowerCase()}"`));
    }
  });
});
