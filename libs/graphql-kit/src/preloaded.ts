import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

const PRELOADED = Symbol('unionfed.preloaded');
type WithPreloaded = { [PRELOADED]?: Record<string, unknown> };

/**
 * Hands over, with a parent object, the values of fields whose resolvers would otherwise load them — e.g. the
 * branch of every member of a roster page, read by the page's own query. In a schema passed through
 * `answerPreloadedFields` (every subgraphModule's is), such a field answers with the value without calling its
 * resolver; its @access check still runs. Only for fields without arguments. Returns the parent, which carries the
 * values under a symbol (JSON and Object.keys do not see it).
 */
export function withPreloaded<T extends object>(parent: T, values: Record<string, unknown>): T {
  (parent as WithPreloaded)[PRELOADED] = values;
  return parent;
}

/**
 * Lets every resolver-backed field without arguments answer from `withPreloaded` values when its parent carries
 * one for it (an own property of the values given; `undefined` counts as a value). Mutates and returns the schema.
 */
export function answerPreloadedFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || field.args.length > 0) continue;
      const name = field.name;
      const answer: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
        const values = (source as WithPreloaded | null | undefined)?.[PRELOADED];
        return values && Object.hasOwn(values, name) ? values[name] : resolve(source, args, context, info);
      };
      field.resolve = answer;
    }
  }
  return schema;
}
