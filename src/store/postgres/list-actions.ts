// The WHERE clause of action lists in PostgreSQL: placeholders numbered from $1 (callers append
// their own parameters after `params`), booleans as booleans.

import type { ActionFilter } from '../types.ts';
import { actionWhere as where } from '../action-where.ts';

const POSTGRES = { placeholder: (n: number) => `$${n}`, bool: (b: boolean) => b };

export const actionWhere = (f: Omit<ActionFilter, 'limit'> & { before?: string }): { sql: string; params: unknown[] } => where(f, POSTGRES);
