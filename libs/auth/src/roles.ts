/**
 * The roles of ARCHITECTURE.md §5. Staff roles are granted for the whole federation (HQ, branchId null) or for
 * one branch; MEMBER is a member's self-service; INTEGRATION is an API key (read-only statistics).
 */
export const STAFF_ROLES = [
  'ADMIN',
  'MEMBERSHIP_OFFICER',
  'FINANCE_ACCOUNTANT',
  'FINANCE_CASHIER',
  'FINANCE_AUDITOR',
  'CONGRESS_SECRETARY',
  'ACTIVITIES_OFFICER',
  'WELFARE_OFFICER',
  'VIEWER',
] as const;
export const ROLES = [...STAFF_ROLES, 'MEMBER', 'INTEGRATION'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export type Role = (typeof ROLES)[number];

/** A role held for the federation (branchId null) or for one branch union. */
export interface Grant {
  role: Role;
  branchId: string | null;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** 中文 names for the dashboard and audit views. */
export const ROLE_LABELS: Record<Role, string> = {
  ADMIN: '管理员',
  MEMBERSHIP_OFFICER: '组织委员',
  FINANCE_ACCOUNTANT: '会计',
  FINANCE_CASHIER: '出纳',
  FINANCE_AUDITOR: '经审委员',
  CONGRESS_SECRETARY: '教代会秘书',
  ACTIVITIES_OFFICER: '文体委员',
  WELFARE_OFFICER: '福利委员',
  VIEWER: '查阅',
  MEMBER: '会员',
  INTEGRATION: '系统集成',
};
