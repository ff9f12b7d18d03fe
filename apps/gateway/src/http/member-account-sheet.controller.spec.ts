import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import { fieldPolicy } from '@unionfed/auth';
import { SUPERGRAPH_PATH } from '../gateway.module';
import { MEMBER_ACCOUNT_SHEET_POLICY } from './member-account-sheet.controller';

describe('the member account sheet download', () => {
  it('is decided with the same policy as the mutation that makes the same accounts', () => {
    const schema = buildSchema(readFileSync(SUPERGRAPH_PATH, 'utf8'), { assumeValidSDL: true });
    const mutation = schema.getMutationType() as GraphQLObjectType;
    const policy = fieldPolicy(schema, mutation, mutation.getFields().createMemberAccounts);
    expect({ ...MEMBER_ACCOUNT_SHEET_POLICY, roles: [...MEMBER_ACCOUNT_SHEET_POLICY.roles] }).toEqual(policy);
  });
});
