// The WHERE clause of action lists in SQLite: `?` parameters, booleans as 0/1.

import type { ActionFilter } from '../types.ts';
import { actionWhere as where } from '../action-where.ts';

const SQLITE = { placeholder: () => '?', bool: (b: boolean) => (b ? 1 : 0) };

export const actionWhere = (f: Omit<ActionFilter, 'limit'> & { before?: string }): { sql: string; params: unknown[] } => where(f, SQLITE);
