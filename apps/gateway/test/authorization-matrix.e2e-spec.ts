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
import { randomUUID } from 'node:crypto';
import { DOMAIN_SERVICES } from '@unionfed/service-kit';
import { testInfrastructure } from '@unionfed/testing';
import { SUPERGRAPH_PATH } from '../src/gateway.module';

/**
 * The authorization matrix, generated from the composed supergraph: every root field and every entity field is
 * called as anonymous, as an officer of another branch, as a member signed in for self-service (MEMBER, linked to
 * a member of another branch), as each role its policy names (scoped to the data's branch, or HQ where the policy
 * asks for it), as a role it does not name, and as an integration. A field without a policy fails here, so a new
 * field cannot slip through undeclared.
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
  /** branch A's members, union group and committee appointment: the data the outsider must never see */
  memberA: string;
  groupA: string;
  appointmentA: string;
  /** an account wholly within branch A (its officer) */
  accountA: string;
  memberB: string;
  accountId: string;
  /** branch A's journal entry and disbursement (finance): their memo and purpose are canaries */
  entryA: string;
  requestA: string;
}

/**
 * Canaries: values that only branch A's records carry (personal data of its members, its union group's name, its
 * officer's account). An answer to a caller without reach into A that contains any of them — anywhere: data,
 * errors, extensions — is a leak, whatever ids it shows or hides.
 */
const TAG = Math.random().toString(36).slice(2, 8).toUpperCase();
const CANARY = {
  name: `金丝雀${TAG}`,
  staffNumber: `CNRY${TAG}`,
  phone: `139${String(Date.now()).slice(-8)}`,
  email: `cnry-${TAG.toLowerCase()}@canary.example`,
  title: `金丝雀职称${TAG}`,
  groupName: `金丝雀小组${TAG}`,
  username: `cnry_${TAG.toLowerCase()}`,
  displayName: `金丝雀干事${TAG}`,
  entryMemo: `金丝雀凭证${TAG}`,
  purpose: `金丝雀救助${TAG}`,
  /** branch A's hardship fund: ¥12,345.67 — a balance is data too */
  amount: '12345.67',
} as const;
/** filled in once A's member is admitted (membership numbers it) */
const canaries: string[] = Object.values(CANARY);

function leakedCanaries(answer: unknown): string[] {
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer ?? null);
  return canaries.filter((canary) => text.includes(canary));
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
      if (/account/i.test(name)) return fx.accountA;
      if (/group/i.test(name)) return fx.groupA;
      if (/entry/i.test(name)) return fx.entryA;
      if (/request/i.test(name)) return fx.requestA;
      if (/appointment/i.test(name)) return fx.appointmentA;
      return fx.memberA; // id / memberId / leaderMemberId
    }
    if (type.name === 'Int') return 1;
    if (type.name === 'Float') return 1;
    if (type.name === 'Boolean') return false;
    if (type.name === 'Money') return '1.00';
    if (type.name === 'Date' || /date|On$|From$|To$|At$|asOf/i.test(name)) return '2020-01-01';
    if (/staffNumber/i.test(name)) return CANARY.staffNumber;
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
          : arg.name === 'id' && /group/i.test(target.field.name)
            ? 'groupId'
            : arg.name === 'id' && /entry/i.test(target.field.name)
              ? 'entryId'
              : arg.name;
      out[arg.name] = valueFor(arg.type, name, fx);
    }
  }
  return out;
}

/**
 * Every leaf of the answer, and the single objects below it (a connection's edges and nodes pass through): a
 * leak shows up as data, so the matrix asks for all of it — within the gateway's cost limit, so lists below the
 * first level are left out. `nested: false` asks for the leaves only (a refused object below would null the
 * whole record and hide its leaves).
 */
function selection(type: GraphQLOutputType, depth = 0, nested = true, graph?: string): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const parts: string[] = [];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    // asked of one subgraph: only the fields it resolves (Branch.finance is finance's, not membership's)
    const graphs = directiveArg(field.astNode, 'join__field', 'graph');
    if (graph && graphs.length > 0 && !graphs.includes(graph)) continue;
    const inner = getNamedType(field.type);
    const list = isListType(isNonNullType(field.type) ? field.type.ofType : field.type);
    if (!isObjectType(inner)) parts.push(field.name);
    else if (['edges', 'node'].includes(field.name))
      parts.push(`${field.name} ${selection(field.type, depth, true, graph)}`);
    else if (nested && depth < 1 && !list && !inner.getFields().edges)
      parts.push(`${field.name} ${selection(field.type, depth + 1, true, graph)}`);
  }
  return `{ ${parts.length ? parts.join(' ') : '__typename'} }`;
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

/** The references an entity field is asked through: the record of branch A (unless the type is not branch data). */
function referenceOf(type: GraphQLObjectType, fx: Fixture): string {
  return type.name === 'Branch' ? fx.branchA : fx.memberA;
}

/** The operation calling a target: through the gateway, or (`direct`) straight to the subgraph that resolves it. */
function operationFor(target: Target, fx: Fixture, direct = !target.root): string {
  const args = renderArgs(target.field.args, argumentsFor(target.field.args, fx, target));
  const body = `${target.field.name}${args} ${selection(target.field.type, 0, true, direct ? target.graph : undefined)}`;
  if (target.root) return `${target.type.name === 'Mutation' ? 'mutation' : 'query'} { ${body} }`;
  const ref = referenceOf(target.type, fx);
  return `{ _entities(representations: [{ __typename: "${target.type.name}", id: "${ref}" }]) { ... on ${target.type.name} { ${body} } } }`;
}

/** Every field of an entity type (its leaves, or also the single objects below them), asked by reference. */
function entitiesOperation(type: GraphQLObjectType, ids: string[], nested = false, graph?: string): string {
  const representations = ids.map((id) => `{ __typename: "${type.name}", id: "${id}" }`).join(', ');
  return `{ _entities(representations: [${representations}]) { ... on ${type.name} ${selection(type, 0, nested, graph)} } }`;
}

/** The entity types each subgraph resolves by reference. */
function entityTypesByGraph(schema: GraphQLSchema): [string, GraphQLObjectType][] {
  return Object.values(schema.getTypeMap())
    .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'))
    .filter((type) => isEntity(type))
    .flatMap((type) => resolvingGraphs(type).map((graph) => [graph, type] as [string, GraphQLObjectType]));
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

  const token = async (grants: Grant[], kind: Principal['kind'] = 'user', memberId?: string) =>
    (
      await signAccessToken(
        key,
        {
          kind,
          subject: kind === 'integration' ? '0190a000-0000-7000-8000-0000000000ee' : fx.accountId,
          name: 'matrix',
          grants,
          memberId,
          scopes: kind === 'integration' ? ['statistics:read'] : [],
        },
        600,
      )
    ).token;
  const bearer = async (grants: Grant[]) => ({ authorization: `Bearer ${await token(grants)}` });
  /** an officer of branch B holding every staff role there: reaches all of B, nothing of A */
  const outsider = () => bearer(STAFF_ROLES.map((role) => ({ role, branchId: fx.branchB })));
  /** the same roles, in branch A */
  const insider = () => bearer(STAFF_ROLES.map((role) => ({ role, branchId: fx.branchA })));
  /** a member of branch B signed in for self-service, as the gateway's session for their own account has it */
  const member = async () => ({
    authorization: `Bearer ${await token([{ role: 'MEMBER', branchId: null }], 'user', fx.memberB)}`,
  });

  const subgraphUrl = (graph: string) =>
    graph === 'IDENTITY'
      ? t.gatewayUrl
      : `${t.platform.service(graph.toLowerCase() as never).baseUrl}/graphql`;

  /** Root fields go through the gateway; entity fields straight to the subgraph that resolves them. */
  const call = async (target: Target, headers: Record<string, string>) =>
    graphqlRequest(
      target.root ? t.gatewayUrl : subgraphUrl(target.graph),
      operationFor(target, fx),
      {},
      headers,
    );

  /** What branch A holds, as stored: the outsider's attempts must leave it exactly so. */
  const branchAState = async () => ({
    members: await queryDatabase(
      t.databaseUrl('membership'),
      'SELECT * FROM member WHERE branch_id = $1 OR id = $2 ORDER BY id',
      [fx.branchA, fx.memberA],
    ),
    groups: await queryDatabase(
      t.databaseUrl('membership'),
      'SELECT * FROM union_group WHERE branch_id = $1 ORDER BY id',
      [fx.branchA],
    ),
    appointments: await queryDatabase(
      t.databaseUrl('membership'),
      'SELECT * FROM committee_appointment WHERE branch_id = $1 ORDER BY id',
      [fx.branchA],
    ),
    books: await queryDatabase(
      t.databaseUrl('finance'),
      `SELECT e.id, e.memo, l.line_no, l.account_code, l.debit_fen, l.credit_fen FROM journal_entry e
         JOIN journal_line l ON l.entry_id = e.id WHERE e.branch_id = $1 ORDER BY e.id, l.line_no`,
      [fx.branchA],
    ),
    funds: await queryDatabase(t.databaseUrl('finance'), 'SELECT * FROM fund_balance WHERE branch_id = $1', [
      fx.branchA,
    ]),
    account: await queryDatabase(
      t.databaseUrl('gateway'),
      'SELECT a.username, a.status, g.role, g.branch_id FROM account a LEFT JOIN role_grant g ON g.account_id = a.id WHERE a.id = $1 ORDER BY g.role',
      [fx.accountA],
    ),
  });

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
    const admit = async (input: Record<string, unknown>) =>
      (
        await graphqlData<{ admitMember: { id: string; memberNumber: string } }>(
          t.gatewayUrl,
          'mutation($i: AdmitMemberInput!) { admitMember(input: $i) { id memberNumber } }',
          { i: { gender: 'FEMALE', category: 'TEACHER', ...input } },
          t.admin.headers,
        )
      ).admitMember;
    const canary = await admit({
      branchId: a.branchId,
      staffNumber: CANARY.staffNumber,
      name: CANARY.name,
      phone: CANARY.phone,
      email: CANARY.email,
      title: CANARY.title,
      birthDate: '1980-02-29',
    });
    canaries.push(canary.memberNumber);
    const ordinary = await admit({ branchId: b.branchId, staffNumber: `MTXB${TAG}`, name: '乙会员' });
    const group = await graphqlData<{ formUnionGroup: { id: string } }>(
      t.gatewayUrl,
      'mutation($i: FormUnionGroupInput!) { formUnionGroup(input: $i) { id } }',
      { i: { branchId: a.branchId, name: CANARY.groupName, leaderMemberId: canary.id } },
      t.admin.headers,
    );
    const committee = await graphqlData<{ committee: { id: string }[] }>(
      t.gatewayUrl,
      'query($b: ID) { committee(branchId: $b) { id } }',
      { b: a.branchId },
      t.admin.headers,
    );
    const account = await graphqlData<{ createAccount: { account: { id: string } } }>(
      t.gatewayUrl,
      'mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } } }',
      {
        i: {
          username: CANARY.username,
          displayName: CANARY.displayName,
          grants: [{ role: 'MEMBERSHIP_OFFICER', branchId: a.branchId }],
        },
      },
      t.admin.headers,
    );
    fx = {
      branchA: a.branchId,
      branchB: b.branchId,
      campusId: a.campusId,
      memberA: canary.id,
      groupA: group.formUnionGroup.id,
      appointmentA: committee.committee[0].id,
      accountA: account.createAccount.account.id,
      memberB: ordinary.id,
      accountId: t.admin.accountId,
      entryA: randomUUID(),
      requestA: randomUUID(),
    };
    // branch A's books (finance): a fiscal year, an entry whose memo is a canary (straight into the tables: the
    // ledger's triggers check and balance it as they do the service's postings) and a disbursement paid by it
    const finance = t.databaseUrl('finance');
    const year = new Date().getUTCFullYear();
    await queryDatabase(
      finance,
      `INSERT INTO fiscal_year (branch_id, year, status) VALUES ($1, $2, 'OPEN')`,
      [fx.branchA, year],
    );
    await queryDatabase(
      finance,
      `WITH entry AS (
         INSERT INTO journal_entry (id, branch_id, fiscal_year, entry_date, memo, source, idempotency_key, request_hash, posted_by)
         VALUES ($1, $2, $3::smallint, make_date($3::int, 1, 2), $4, 'MANUAL', $5, 'matrix', 'matrix') RETURNING id)
       INSERT INTO journal_line (entry_id, line_no, account_code, fund_code, debit_fen, credit_fen)
       SELECT id, n, a, 'HARDSHIP', d, c FROM entry,
         (VALUES (1, '1002', 1234567, 0), (2, '3101', 0, 1234567)) AS v(n, a, d, c)`,
      [fx.entryA, fx.branchA, year, CANARY.entryMemo, `cnry-key-${TAG}`],
    );
    await queryDatabase(
      finance,
      `INSERT INTO disbursement (request_id, requesting_service, branch_id, fund_code, amount_fen, beneficiary, purpose,
                                 status, rejection_reason)
       VALUES ($1, 'welfare', $2, 'HARDSHIP', 100, '{"kind": "MEMBER"}', $3, 'REJECTED', 'UNKNOWN_MEMBER')`,
      [fx.requestA, fx.branchA, CANARY.purpose],
    );
    // every service's audit trail holds a row of branch A carrying canaries and one of branch B: membership's
    // from the changes above; the other four have no audited change yet, so theirs are written as their unit of
    // work writes them
    for (const service of DOMAIN_SERVICES.filter((name) => name !== 'membership'))
      for (const [branchId, after] of [
        [fx.branchA, { name: CANARY.name, title: CANARY.title, staffNumber: CANARY.staffNumber }],
        [fx.branchB, { name: '乙会员' }],
      ] as const)
        await queryDatabase(
          t.databaseUrl(service),
          `INSERT INTO audit_log (id, actor_id, actor_name, role, role_branch_id, branch_id, action, entity_type,
                                  entity_id, after)
           VALUES ($1, $2, 'matrix', 'ADMIN', $3, $3, 'MATRIX_RECORDED', 'Member', $4, $5)`,
          [
            randomUUID(),
            t.admin.accountId,
            branchId,
            branchId === fx.branchA ? fx.memberA : fx.memberB,
            after,
          ],
        );
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

  // The canary checks come first: the permission checks below change branch A's data (as its own officers may).
  describe("an officer of another branch finds none of branch A's data", () => {
    let before: Awaited<ReturnType<typeof branchAState>>;
    beforeAll(async () => {
      before = await branchAState();
    });

    it("sees branch A's canaries where the caller does reach A (the matrix can see a leak)", async () => {
      const visible = await graphqlRequest(
        t.gatewayUrl,
        `query($m: ID!, $s: String!, $b: ID!, $g: ID!) {
          member(id: $m) { name phone email title staffNumber memberNumber }
          memberByStaffNumber(staffNumber: $s) { name }
          members(filter: { branchId: $b }) { edges { node { name phone } } }
          unionGroup(id: $g) { name }
        }`,
        { m: fx.memberA, s: CANARY.staffNumber, b: fx.branchA, g: fx.groupA },
        await insider(),
      );
      expect(leakedCanaries(visible).sort()).toEqual(
        [
          CANARY.name,
          CANARY.phone,
          CANARY.email,
          CANARY.title,
          CANARY.staffNumber,
          CANARY.groupName,
          canaries.at(-1)!,
        ].sort(),
      );
      const byReference = await graphqlRequest(
        subgraphUrl('MEMBERSHIP'),
        entitiesOperation(
          supergraph.getType('Member') as GraphQLObjectType,
          [fx.memberA],
          false,
          'MEMBERSHIP',
        ),
        {},
        await insider(),
      );
      expect(leakedCanaries(byReference)).toEqual(expect.arrayContaining([CANARY.name, CANARY.phone]));
      const books = await graphqlRequest(
        t.gatewayUrl,
        `query($e: ID!, $r: ID!, $b: ID) {
          journalEntry(id: $e) { memo lines { amount } }
          disbursement(requestId: $r) { purpose }
          fundBalances(branchId: $b) { balance }
        }`,
        { e: fx.entryA, r: fx.requestA, b: fx.branchA },
        await insider(),
      );
      expect(leakedCanaries(books).sort()).toEqual([CANARY.entryMemo, CANARY.purpose, CANARY.amount].sort());
    });

    it.each(ALL.filter((x) => x.policy?.scope !== 'PUBLIC').map((x) => [x.name, x] as const))(
      '%s',
      async (_name, target) => {
        const answer = await call(target, await outsider());
        expect({ field: target.name, leaked: leakedCanaries(answer) }).toEqual({
          field: target.name,
          leaked: [],
        });
        if (target.type.name === 'Mutation' && target.policy?.scope !== 'AUTHENTICATED') {
          // a change aimed at A's data is refused — as not there, or forbidden — never applied
          expect({
            field: target.name,
            refused:
              codes(answer).some((c) => ['FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED'].includes(c)) ||
              !answer.data,
          }).toEqual({
            field: target.name,
            refused: true,
          });
        }
      },
    );

    it.each(
      entityTypesByGraph(supergraph).map(([graph, type]) => [`${graph} ${type.name}`, graph, type] as const),
    )(
      '_entities of %s by reference, straight to the subgraph and through the gateway',
      async (_name, graph, type) => {
        const ids =
          type.name === 'Branch'
            ? [fx.branchA, fx.branchB, '0190a000-0000-7000-8000-00000000dead']
            : [fx.memberA, fx.memberB, '0190a000-0000-7000-8000-00000000dead'];
        const operation = entitiesOperation(type, ids, false, graph);
        const direct = await graphqlRequest(subgraphUrl(graph), operation, {}, await outsider());
        expect({ graph, type: type.name, leaked: leakedCanaries(direct) }).toEqual({
          graph,
          type: type.name,
          leaked: [],
        });
        // the outsider's own record still answers: the check above looked at real data
        if (type.name === 'Member' && graph === 'MEMBERSHIP')
          expect(JSON.stringify(direct.data)).toContain('乙会员');
        const batched = await graphqlRequest(
          subgraphUrl(graph),
          entitiesOperation(type, [...ids, ...ids], false, graph),
          {},
          await outsider(),
        );
        expect(leakedCanaries(batched)).toEqual([]);
        const nested = await graphqlRequest(
          subgraphUrl(graph),
          entitiesOperation(type, ids, true, graph),
          {},
          await outsider(),
        );
        expect(leakedCanaries(nested)).toEqual([]);
        const gateway = await graphqlRequest(t.gatewayUrl, operation, {}, await outsider());
        expect(leakedCanaries(gateway)).toEqual([]);
        expect(gateway.data ?? null).toBeNull();
      },
    );

    it.each([
      ['the gateway', () => `${t.gatewayUrl.replace(/\/graphql$/, '')}/downloads/roster`],
      ['membership', () => `${t.platform.service('membership').baseUrl}/roster/export`],
    ])('the roster export of %s', async (_name, url) => {
      for (const query of [`?format=csv&branchId=${fx.branchA}`, '?format=csv']) {
        const response = await fetch(`${url()}${query}`, { headers: await outsider() });
        const text = await response.text();
        expect({ query, leaked: leakedCanaries(text) }).toEqual({ query, leaked: [] });
      }
      const own = await fetch(`${url()}?format=csv&branchId=${fx.branchA}`, { headers: await insider() });
      expect(leakedCanaries(await own.text())).toContain(CANARY.name);
    });

    describe("a member signed in for self-service finds nobody else's record", () => {
      it('has their own record, and the matrix sees it (a member’s answers are real data)', async () => {
        const own = await graphqlRequest(t.gatewayUrl, '{ myMembership { id name } }', {}, await member());
        expect(own).toEqual({ data: { myMembership: { id: fx.memberB, name: '乙会员' } } });
      });

      it.each(ALL.filter((x) => x.policy?.scope !== 'PUBLIC').map((x) => [x.name, x] as const))(
        '%s',
        async (_name, target) => {
          const answer = await call(target, await member());
          expect({ field: target.name, leaked: leakedCanaries(answer) }).toEqual({
            field: target.name,
            leaked: [],
          });
          if (target.type.name === 'Mutation' && target.policy?.scope !== 'AUTHENTICATED')
            expect({
              field: target.name,
              refused:
                codes(answer).some((c) => ['FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED'].includes(c)) ||
                !answer.data,
            }).toEqual({ field: target.name, refused: true });
        },
      );

      it.each(
        entityTypesByGraph(supergraph).map(
          ([graph, type]) => [`${graph} ${type.name}`, graph, type] as const,
        ),
      )('_entities of %s by reference', async (_name, graph, type) => {
        const ids =
          type.name === 'Branch'
            ? [fx.branchA, fx.branchB]
            : [fx.memberA, fx.memberB, '0190a000-0000-7000-8000-00000000dead'];
        for (const nested of [false, true]) {
          const direct = await graphqlRequest(
            subgraphUrl(graph),
            entitiesOperation(type, ids, nested, graph),
            {},
            await member(),
          );
          expect({ graph, type: type.name, nested, leaked: leakedCanaries(direct) }).toEqual({
            graph,
            type: type.name,
            nested,
            leaked: [],
          });
        }
      });

      it('asks for branch A’s member by id and by staff number, and finds nobody', async () => {
        const byId = await graphqlRequest(
          t.gatewayUrl,
          'query($m: ID!) { member(id: $m) { name phone } }',
          { m: fx.memberA },
          await member(),
        );
        expect(byId).toEqual({ data: { member: null } });
        const byStaffNumber = await graphqlRequest(
          t.gatewayUrl,
          'query($s: String!) { memberByStaffNumber(staffNumber: $s) { name } }',
          { s: CANARY.staffNumber },
          await member(),
        );
        expect(codes(byStaffNumber)).toEqual(['FORBIDDEN']);
        expect(leakedCanaries(byStaffNumber)).toEqual([]);
      });
    });

    it.each([
      [
        'the roster export',
        () => `${t.gatewayUrl.replace(/\/graphql$/, '')}/downloads/roster?format=csv&branchId=${fx.branchA}`,
        'GET',
      ],
      [
        'the member account sheet',
        () =>
          `${t.gatewayUrl.replace(/\/graphql$/, '')}/member-accounts/sheet?format=csv&branchId=${fx.branchA}`,
        'POST',
      ],
    ])('%s answers an outsider or a member no data of branch A', async (_name, url, method) => {
      for (const headers of [await outsider(), await member()]) {
        const response = await fetch(url(), { method, headers });
        const text = await response.text();
        expect({ status: response.status, leaked: leakedCanaries(text) }).toEqual({
          status: expect.any(Number),
          leaked: [],
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
      }
    });

    it.each(DOMAIN_SERVICES.map((service) => [service] as const))(
      "%s's audit trail: branch B's admin and auditor see branch B's rows and none of A's, asked for A they are refused",
      async (service) => {
        const field = `${service}AuditLog`;
        const log = `query($f: AuditEntryFilter) { ${field}(filter: $f, first: 100) {
          edges { node { branchId action actorName entityId before after details } } } }`;
        const read = async (grants: Grant[], filter: Record<string, unknown> = {}) =>
          graphqlRequest<Record<string, { edges: { node: { branchId: string | null } }[] }>>(
            t.gatewayUrl,
            log,
            { f: filter },
            await bearer(grants),
          );
        for (const role of ['ADMIN', 'FINANCE_AUDITOR'] as const) {
          const outsider = await read([{ role, branchId: fx.branchB }]);
          expect({ service, role, errors: outsider.errors, leaked: leakedCanaries(outsider) }).toEqual({
            service,
            role,
            errors: undefined,
            leaked: [],
          });
          const branches = new Set(outsider.data![field].edges.map((edge) => edge.node.branchId));
          expect({ service, role, branches: [...branches] }).toEqual({
            service,
            role,
            branches: [fx.branchB],
          });
          const asked = await read([{ role, branchId: fx.branchB }], { branchId: fx.branchA });
          expect({ service, role, codes: codes(asked), leaked: leakedCanaries(asked) }).toEqual({
            service,
            role,
            codes: ['FORBIDDEN'],
            leaked: [],
          });
        }
        // the same query as branch A's admin shows A's canaries: the check above looked at real rows
        const own = await read([{ role: 'ADMIN', branchId: fx.branchA }]);
        expect(leakedCanaries(own)).toContain(CANARY.name);
      },
    );

    it("leaves branch A's data as it was", async () => {
      expect(await branchAState()).toEqual(before);
    });
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
      expect({ field: target.name, codes: codes(result), leaked: leakedCanaries(result) }).toEqual({
        field: target.name,
        codes: expect.arrayContaining(['UNAUTHENTICATED']),
        leaked: [],
      });
    },
  );

  it.each(
    ordered
      .filter((x) => x.policy && !['PUBLIC', 'AUTHENTICATED'].includes(x.policy.scope))
      .map((x) => [x.name, x] as const),
  )('%s: roles it names are let through, others are refused', async (_name, target) => {
    const policy = target.policy!;
    const staffRoles = policy.roles.filter((r) => r !== 'MEMBER');
    // each role it names, granted where the data is (HQ for FEDERATION fields)
    for (const role of staffRoles) {
      const grant: Grant = { role, branchId: policy.scope === 'FEDERATION' ? null : fx.branchA };
      const result = await call(target, await bearer([grant]));
      const federationOnly = (result.errors ?? []).some((e) => e.extensions?.reason === 'FEDERATION_ONLY');
      if (federationOnly) {
        // the field reaches across branches (e.g. federation totals): an HQ grant of that role may
        const hq = await call(target, await bearer([{ role, branchId: null }]));
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
    // every staff role it does not name, even HQ-wide
    const others = STAFF_ROLES.filter((r) => !policy.roles.includes(r));
    if (others.length) {
      const result = await call(target, await bearer(others.map((role) => ({ role, branchId: null }))));
      expect({ field: target.name, codes: codes(result), leaked: leakedCanaries(result) }).toEqual({
        field: target.name,
        codes: expect.arrayContaining(['FORBIDDEN']),
        leaked: [],
      });
    }
    // integrations only where declared
    const integrationToken = await token([{ role: 'INTEGRATION', branchId: null }], 'integration');
    const integration = await graphqlRequest(
      subgraphUrl(target.graph),
      operationFor(target, fx, true),
      {},
      { authorization: `Bearer ${integrationToken}` },
    );
    expect({ field: target.name, integration: !refused(integration) }).toEqual({
      field: target.name,
      integration: policy.integration,
    });
  });
  // Last: generated arguments change (and may merge away) what the checks above relied on.
  describe('generated input, within a time budget (UNIONFED_FUZZ_SECONDS, UNIONFED_FUZZ_SEED)', () => {
    const budgetMs = Number(process.env.UNIONFED_FUZZ_SECONDS ?? 40) * 1000;
    const seed = Number(process.env.UNIONFED_FUZZ_SEED ?? Date.now() % 1_000_000);
    /** mulberry32: the same seed gives the same run */
    let state = seed;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let x = Math.imul(state ^ (state >>> 15), 1 | state);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const STRINGS = [
      '',
      ' ',
      'a',
      '张三',
      '计算机学院',
      'x'.repeat(2000),
      '\u0000',
      'a\u0007b',
      "'; DROP TABLE member; --",
      '=HYPERLINK("http://x")',
      '😀',
      '\ud800',
      '%s%n',
      '<script>',
      '-1',
      '2024-02-30',
    ];
    const ids = () => [
      '',
      'x',
      '0',
      '17',
      '99999999999999999999',
      '00000000-0000-0000-0000-000000000000',
      '0190a000-0000-7000-8000-00000000dead',
      fx.memberA,
      fx.memberB,
      fx.branchA,
      fx.branchB,
      fx.groupA,
      fx.appointmentA,
      fx.accountA,
      fx.campusId,
    ];
    const INTS = [0, -1, 1, 20, 101, 366, 367, 2147483647, -2147483648];
    const DATES = ['', '2020-01-01', '2023-02-30', '1900-01-01', '2999-12-31', 'x', '2024-02-29'];

    const generate = (type: GraphQLInputType, depth = 0): unknown => {
      if (isNonNullType(type)) return generate(type.ofType, depth);
      if (isListType(type))
        return Array.from({ length: Math.floor(random() * 3) }, () => generate(type.ofType, depth));
      if (isEnumType(type)) return pick(type.getValues()).value;
      if (isInputObjectType(type)) {
        const out: Record<string, unknown> = {};
        for (const field of Object.values(type.getFields())) {
          const required = isNonNullType(field.type) && field.defaultValue === undefined;
          if (required || (depth < 3 && random() < 0.6)) out[field.name] = generate(field.type, depth + 1);
        }
        return out;
      }
      if (isScalarType(type)) {
        if (type.name === 'ID') return pick(ids());
        if (type.name === 'Int') return pick(INTS);
        if (type.name === 'Float') return pick([0, -1.5, 1e300]);
        if (type.name === 'Boolean') return random() < 0.5;
        if (type.name === 'Date') return pick(DATES);
        if (type.name === 'Money')
          return pick(['0.00', '1500.00', '-3.20', '1.005', '', 'NaN', '1e3', '99999999999999999999.00']);
        return pick(STRINGS);
      }
      return null;
    };
    const typeName = (type: GraphQLInputType): string =>
      isNonNullType(type)
        ? `${typeName(type.ofType)}!`
        : isListType(type)
          ? `[${typeName(type.ofType)}]`
          : type.name;

    /** One generated call of a root field: the document (arguments as variables) and its variables. */
    const generatedCall = (target: Target) => {
      const variables: Record<string, unknown> = {};
      const used = target.field.args.filter(
        (arg) => (isNonNullType(arg.type) && arg.defaultValue === undefined) || random() < 0.7,
      );
      for (const arg of used)
        // a lookup of branch A's staff number (written nowhere: an answer with a canary is then a leak)
        variables[arg.name] =
          arg.name === 'staffNumber' && random() < 0.5 ? CANARY.staffNumber : generate(arg.type);
      const declared = used.map((arg) => `$${arg.name}: ${typeName(arg.type)}`).join(', ');
      const passed = used.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
      const kind = target.type.name === 'Mutation' ? 'mutation' : 'query';
      return {
        query: `${kind} Fuzz${declared ? `(${declared})` : ''} { ${target.field.name}${passed ? `(${passed})` : ''} ${selection(target.field.type)} }`,
        variables,
      };
    };

    const FAULTS =
      /INTERNAL_SERVER_ERROR|stacktrace|node_modules|\bat [\w.<>]+ \(|QueryFailedError|violates|syntax error at/;

    it('answers no operation with a 500, INTERNAL_SERVER_ERROR, a stack trace or another branch’s canary', async () => {
      const roots = ALL.filter(
        (x) => x.root && !/rotateSigningKey|logout|changePassword|disableAccount|revoke/.test(x.name),
      );
      const admin = await bearer([
        { role: 'ADMIN', branchId: null },
        ...STAFF_ROLES.map((role) => ({ role, branchId: null })),
      ]);
      const callers = [
        { name: 'HQ', headers: admin, canaries: false },
        { name: 'outsider', headers: await outsider(), canaries: true },
      ];
      const findings: string[] = [];
      const started = Date.now();
      let calls = 0;
      for (let round = 0; Date.now() - started < budgetMs && round < 30; round++) {
        for (const target of roots) {
          if (Date.now() - started >= budgetMs) break;
          const { query, variables } = generatedCall(target);
          const caller = pick(callers);
          const urls =
            target.graph === 'IDENTITY' ? [t.gatewayUrl] : [t.gatewayUrl, subgraphUrl(target.graph)];
          for (const url of urls) {
            const response = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...caller.headers },
              body: JSON.stringify({ query, variables }),
            });
            const text = await response.text();
            calls++;
            const where = `${target.name} as ${caller.name} via ${url === t.gatewayUrl ? 'gateway' : target.graph}`;
            if (response.status >= 500)
              findings.push(
                `${where}: HTTP ${response.status} for ${JSON.stringify(variables).slice(0, 200)}`,
              );
            const fault = FAULTS.exec(text);
            if (fault)
              findings.push(
                `${where}: "${fault[0]}" for ${JSON.stringify(variables).slice(0, 200)} → ${text.slice(0, 300)}`,
              );
            if (
              caller.canaries &&
              leakedCanaries(text).length &&
              !JSON.stringify(variables).includes(CANARY.staffNumber)
            )
              findings.push(`${where}: another branch's data ${leakedCanaries(text).join(', ')}`);
          }
        }
      }
      console.log(
        `generated input: ${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}`,
      );
      expect(calls).toBeGreaterThan(roots.length);
      expect({ seed, findings: [...new Set(findings)] }).toEqual({ seed, findings: [] });
    });
  });
});
