import { readFileSync } from 'node:fs';
import { importJWK, type JWK } from 'jose';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import {
  fieldPolicy,
  signAccessToken,
  STAFF_ROLES,
  type AccessPolicy,
  type Grant,
  type Principal,
  type SigningKey,
} from '@unionfed/auth';
import {
  graphqlData,
  graphqlRequest,
  openBranchThroughGateway,
  queryDatabase,
  startTestPlatform,
  type GraphQLResponse,
  type TestPlatform,
} from '@unionfed/platform';
import { testInfrastructure } from '@unionfed/testing';
import { SUPERGRAPH_PATH } from '../src/gateway.module';

/**
 * The authorization matrix, generated from the composed supergraph: every root field and every entity field is
 * called as anonymous, as an officer of another branch, as each role its policy names (scoped to the data's
 * branch, or HQ where the policy asks for it), as a role it does not name, and as an integration. A field
 * without a policy fails here, so a new field cannot slip through undeclared.
 */
const supergraph = buildSchema(readFileSync(SUPERGRAPH_PATH, 'utf8'), { assumeValidSDL: true });

interface Target {
  /** 'Query.members', 'Member.phone' */
  name: string;
  type: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  policy: AccessPolicy | undefined;
  /** the subgraph that resolves it (from @join__field / @join__type) */
  graph: string;
  root: boolean;
}

function directiveArg(
  node:
    | {
        directives?: readonly {
          name: { value: string };
          arguments?: readonly { name: { value: string }; value: unknown }[];
        }[];
      }
    | null
    | undefined,
  directive: string,
  arg: string,
): string[] {
  return (node?.directives ?? [])
    .filter((d) => d.name.value === directive)
    .map((d) => d.arguments?.find((a) => a.name.value === arg)?.value as { value?: string } | undefined)
    .map((v) => v?.value ?? '')
    .filter(Boolean);
}

function isEntity(type: GraphQLObjectType): boolean {
  return [type.astNode, ...type.extensionASTNodes].some(
    (node) => directiveArg(node, 'join__type', 'key').length > 0,
  );
}

/** The graphs that can resolve the type (not those that only reference it: `resolvable: false`). */
function resolvingGraphs(type: GraphQLObjectType): string[] {
  return [type.astNode, ...type.extensionASTNodes].flatMap((node) =>
    (node?.directives ?? [])
      .filter((d) => d.name.value === 'join__type')
      .filter(
        (d) =>
          !d.arguments?.some(
            (a) => a.name.value === 'resolvable' && (a.value as { value?: boolean }).value === false,
          ),
      )
      .map((d) => (d.arguments?.find((a) => a.name.value === 'graph')?.value as { value: string }).value),
  );
}

function owningGraph(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): string {
  const graphs = directiveArg(field.astNode, 'join__field', 'graph');
  return graphs[0] ?? resolvingGraphs(type)[0];
}

function targets(schema: GraphQLSchema): Target[] {
  const list: Target[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (
      !isObjectType(type) ||
      type.name.startsWith('__') ||
      type.name.startsWith('join__') ||
      type.name.startsWith('link__')
    )
      continue;
    const root = type === schema.getQueryType() || type === schema.getMutationType();
    if (!root && !isEntity(type)) continue;
    for (const field of Object.values(type.getFields())) {
      list.push({
        name: `${type.name}.${field.name}`,
        type,
        field,
        policy: fieldPolicy(schema, type, field),
        graph: owningGraph(type, field),
        root,
      });
    }
  }
  return list;
}

const ALL = targets(supergraph);

interface Fixture {
  branchA: string;
  branchB: string;
  campusId: string;
  memberA: string;
  memberB: string;
  accountId: string;
}

/** A value of an input type that passes GraphQL validation (the domain may still refuse it: that is fine). */
function valueFor(type: GraphQLInputType, name: string, fx: Fixture, depth = 0): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, name, fx, depth);
  if (isListType(type)) return [valueFor(type.ofType, name, fx, depth)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    if (depth > 3) return {};
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (isNonNullType(f.type) && f.defaultValue === undefined)
        out[f.name] = valueFor(f.type, f.name, fx, depth + 1);
      else if (/branchId$/i.test(f.name)) out[f.name] = fx.branchA;
    }
    return out;
  }
  if (isScalarType(type)) {
    if (type.name === 'ID') {
      if (/branch/i.test(name)) return fx.branchA;
      if (/campus/i.test(name)) return fx.campusId;
      if (/account/i.test(name)) return fx.accountId;
      return fx.memberA; // id / memberId
    }
    if (type.name === 'Int') return 1;
    if (type.name === 'Float') return 1;
    if (type.name === 'Boolean') return false;
    if (/date|On$|From$|To$|At$/i.test(name)) return '2020-01-01';
    return 'matrix';
  }
  return null;
}

function argumentsFor(
  args: readonly GraphQLArgument[],
  fx: Fixture,
  target: Target,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    const branchy = /branchId$/i.test(arg.name);
    const filter =
      isInputObjectType(getNamedType(arg.type)) &&
      'branchId' in (getNamedType(arg.type) as never as { getFields(): object }).getFields();
    if (required || branchy || filter) {
      // an id argument of a branch-owned root field points at branch A's data
      const name =
        arg.name === 'id' && target.type.getFields()[target.field.name] && /branch/i.test(target.field.name)
          ? 'branchId'
          : arg.name;
      out[arg.name] = valueFor(arg.type, name, fx);
    }
  }
  return out;
}

function selection(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const fields = named.getFields();
  if (fields.id && !fields.id.args.length) return '{ id }';
  if (depth < 3)
    for (const name of ['edges', 'node'])
      if (fields[name]) return `{ ${name} ${selection(fields[name].type, depth + 1)} }`;
  return '{ __typename }';
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')} }`;
  return JSON.stringify(value);
}

/** An enum value travels unquoted: re-render the arguments against their types. */
function renderArgs(args: readonly GraphQLArgument[], values: Record<string, unknown>): string {
  const render = (type: GraphQLInputType, value: unknown): string => {
    if (isNonNullType(type)) return render(type.ofType, value);
    if (isListType(type)) return `[${(value as unknown[]).map((v) => render(type.ofType, v)).join(', ')}]`;
    if (isEnumType(type)) return String(value);
    if (isInputObjectType(type)) {
      const fields = type.getFields();
      return `{ ${Object.entries(value as object)
        .map(([k, v]) => `${k}: ${render(fields[k].type, v)}`)
        .join(', ')} }`;
    }
    return literal(value);
  };
  const parts = args
    .filter((a) => a.name in values)
    .map((a) => `${a.name}: ${render(a.type, values[a.name])}`);
  return parts.length ? `(${parts.join(', ')})` : '';
}

function operationFor(target: Target, fx: Fixture): string {
  const args = renderArgs(target.field.args, argumentsFor(target.field.args, fx, target));
  const body = `${target.field.name}${args} ${selection(target.field.type)}`;
  if (target.root) return `${target.type.name === 'Mutation' ? 'mutation' : 'query'} { ${body} }`;
  const ref = target.type.name === 'Branch' ? fx.branchA : fx.memberA;
  return `{ _entities(representations: [{ __typename: "${target.type.name}", id: "${ref}" }]) { ... on ${target.type.name} { ${body} } } }`;
}

/** The refusals the access layer gives (not the domain's own answers to odd arguments). */
const codes = (result: GraphQLResponse<unknown>) =>
  (result.errors ?? []).map((e) => String(e.extensions?.code));
const refused = (result: GraphQLResponse<unknown>) =>
  codes(result).some((code) => ['UNAUTHENTICATED', 'FORBIDDEN', 'PERSISTED_QUERY_REQUIRED'].includes(code));

describe('the authorization matrix of the supergraph', () => {
  let t: TestPlatform;
  let fx: Fixture;
  let key: SigningKey;

  const token = async (grants: Grant[], kind: Principal['kind'] = 'user') =>
    (
      await signAccessToken(
        key,
        {
          kind,
          subject: kind === 'integration' ? '0190a000-0000-7000-8000-0000000000ee' : fx.accountId,
          name: 'matrix',
          grants,
          scopes: kind === 'integration' ? ['statistics:read'] : [],
        },
        600,
      )
    ).token;

  /** Root fields go through the gateway; entity fields straight to the subgraph that resolves them. */
  const call = async (target: Target, headers: Record<string, string>) => {
    const url =
      target.root || target.graph === 'IDENTITY'
        ? t.gatewayUrl
        : `${t.platform.service(target.graph.toLowerCase() as never).baseUrl}/graphql`;
    return graphqlRequest(url, operationFor(target, fx), {}, headers);
  };

  beforeAll(async () => {
    t = await startTestPlatform(testInfrastructure());
    const a = await openBranchThroughGateway(
      t.gatewayUrl,
      { campus: { code: 'MTX', name: '矩阵校区' }, code: 'MTX-A', name: '甲分工会' },
      t.admin.headers,
    );
    const b = await openBranchThroughGateway(
      t.gatewayUrl,
      { campusId: a.campusId, code: 'MTX-B', name: '乙分工会' },
      t.admin.headers,
    );
    const admit = async (branchId: string, staffNumber: string) =>
      (
        await graphqlData<{ admitMember: { id: string } }>(
          t.gatewayUrl,
          'mutation($i: AdmitMemberInput!) { admitMember(input: $i) { id } }',
          { i: { branchId, staffNumber, name: '矩阵', gender: 'MALE', category: 'TEACHER' } },
          t.admin.headers,
        )
      ).admitMember.id;
    fx = {
      branchA: a.branchId,
      branchB: b.branchId,
      campusId: a.campusId,
      memberA: await admit(a.branchId, 'MTX001'),
      memberB: await admit(b.branchId, 'MTX002'),
      accountId: t.admin.accountId,
    };
    const [row] = await queryDatabase<{ private_jwk: JWK }>(
      t.databaseUrl('gateway'),
      'SELECT private_jwk FROM signing_key WHERE retired_at IS NULL',
    );
    key = {
      kid: row.private_jwk.kid!,
      privateKey: (await importJWK(row.private_jwk, 'EdDSA')) as never,
      publicJwk: {},
    };
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('finds the fields to check in the supergraph (roots and entities of every subgraph)', () => {
    expect(ALL.length).toBeGreaterThan(40);
    expect(new Set(ALL.map((x) => x.graph))).toEqual(
      new Set(['MEMBERSHIP', 'FINANCE', 'CONGRESS', 'ACTIVITIES', 'WELFARE', 'IDENTITY']),
    );
  });

  it('has an access policy declared on every root field and entity field', () => {
    expect(ALL.filter((x) => !x.policy).map((x) => x.name)).toEqual([]);
  });

  // Mutations that would end the admin's own session or change shared state for the other checks run last.
  const ordered = [...ALL].sort(
    (x, y) =>
      Number(/rotateSigningKey|logout|disable|revoke/.test(x.name)) -
      Number(/rotateSigningKey|logout|disable|revoke/.test(y.name)),
  );

  it.each(ordered.filter((x) => x.policy?.scope !== 'PUBLIC').map((x) => [x.name, x] as const))(
    '%s: anonymous callers are asked to sign in',
    async (_name, target) => {
      const result = await call(target, {});
      expect({ field: target.name, codes: codes(result) }).toEqual({
        field: target.name,
        codes: expect.arrayContaining(['UNAUTHENTICATED']),
      });
    },
  );

  it.each(
    ordered
      .filter((x) => x.policy && !['PUBLIC', 'AUTHENTICATED'].includes(x.policy.scope))
      .map((x) => [x.name, x] as const),
  )('%s: roles it names are let through, others and other branches are refused', async (_name, target) => {
    const policy = target.policy!;
    const staffRoles = policy.roles.filter((r) => r !== 'MEMBER');
    // each role it names, granted where the data is (HQ for FEDERATION fields)
    for (const role of staffRoles) {
      const grant: Grant = { role, branchId: policy.scope === 'FEDERATION' ? null : fx.branchA };
      const result = await call(target, { authorization: `Bearer ${await token([grant])}` });
      const federationOnly = (result.errors ?? []).some((e) => e.extensions?.reason === 'FEDERATION_ONLY');
      if (federationOnly) {
        // the field reaches across branches (e.g. federation totals): an HQ grant of that role may
        const hq = await call(target, { authorization: `Bearer ${await token([{ role, branchId: null }])}` });
        expect({ field: target.name, role, codes: codes(hq) }).toEqual({
          field: target.name,
          role,
          codes: expect.not.arrayContaining(['FORBIDDEN', 'UNAUTHENTICATED']),
        });
      } else {
        expect({ field: target.name, role, codes: codes(result) }).toEqual({
          field: target.name,
          role,
          codes: expect.not.arrayContaining(['FORBIDDEN', 'UNAUTHENTICATED']),
        });
      }
    }
    // an officer holding every role it names, for another branch
    if (staffRoles.length) {
      const outsider = await call(target, {
        authorization: `Bearer ${await token(staffRoles.map((role) => ({ role, branchId: fx.branchB })))}`,
      });
      // an entity's key is what the caller sent as its reference: echoing it back discloses nothing
      const echo = !target.root && target.field.name === 'id';
      const leaked = !echo && JSON.stringify(outsider.data ?? {}).includes(fx.memberA);
      expect({
        field: target.name,
        refusedOrFiltered: codes(outsider).includes('FORBIDDEN') || !leaked,
      }).toEqual({ field: target.name, refusedOrFiltered: true });
      expect({ field: target.name, leaked }).toEqual({ field: target.name, leaked: false });
    }
    // every staff role it does not name, even HQ-wide
    const others = STAFF_ROLES.filter((r) => !policy.roles.includes(r));
    if (others.length) {
      const result = await call(target, {
        authorization: `Bearer ${await token(others.map((role) => ({ role, branchId: null })))}`,
      });
      expect({ field: target.name, codes: codes(result) }).toEqual({
        field: target.name,
        codes: expect.arrayContaining(['FORBIDDEN']),
      });
    }
    // integrations only where declared
    const integrationToken = await token([{ role: 'INTEGRATION', branchId: null }], 'integration');
    const direct =
      target.graph === 'IDENTITY'
        ? t.gatewayUrl
        : `${t.platform.service(target.graph.toLowerCase() as never).baseUrl}/graphql`;
    const integration = await graphqlRequest(
      direct,
      operationFor(target, fx),
      {},
      { authorization: `Bearer ${integrationToken}` },
    );
    expect({ field: target.name, integration: !refused(integration) }).toEqual({
      field: target.name,
      integration: policy.integration,
    });
  });
});
