/**
 * 花名册导入 — the rules of a roster file, one job a file:
 * - `columns`: which columns a file has (Chinese or English headers, or an explicit mapping);
 * - `cells`: how a cell's text becomes a member's field (and an export's cell is written);
 * - `wording`: every problem of a row in Chinese and English;
 * - `row-check`: a row on its own — its branch, group and reach, and member.ts's rules, every problem at once;
 * - `diff`: what a valid row means for the member it names (update, transfer, group change, or nothing).
 * Every rule about a member's data itself is member.ts's (`checkAdmission`, `transfer`) or union-group.ts's. No
 * I/O here.
 */
export * from './cells';
export * from './columns';
export * from './diff';
export * from './row-check';
export * from './wording';
