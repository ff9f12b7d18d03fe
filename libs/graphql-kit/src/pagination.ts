import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { InvalidInputError } from '@unionfed/domain-kit';

/** Relay-style connection cursors: opaque base64url of the sort key. */
export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!value || encodeCursor(value) !== cursor) {
    throw new InvalidInputError('after is not a cursor this API gave out', 'INVALID_CURSOR', {
      field: 'after',
    });
  }
  return value;
}

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | undefined | null, fallback = 20): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new InvalidInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'INVALID_PAGE_SIZE', {
      field: 'first',
    });
  }
  return size;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /**
   * The count, or a function computing it: GraphQL's default resolver calls it only when the query selects
   * `totalCount`, so a connection can leave an expensive count to the queries that ask for it.
   */
  totalCount: number | (() => Promise<number>);
}

/**
 * Builds a connection from `size + 1` fetched rows: the extra row only tells that there is a next page.
 * `totalCount` may be a function (see Connection).
 */
export function toConnection<T>(
  rows: T[],
  size: number,
  totalCount: Connection<T>['totalCount'],
  cursorOf: (row: T) => string,
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

/**
 * Whether the query selects the field `name` directly under the field being resolved (through inline fragments
 * and fragment spreads too), e.g. whether a connection's `totalCount` is asked for. A selection with @skip or
 * @include counts as selected.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const within = (selectionSet: SelectionSetNode | undefined): boolean =>
    selectionSet?.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet);
      const fragment = info.fragments[selection.name.value];
      if (!fragment || seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return within(fragment.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => within(node.selectionSet));
}
