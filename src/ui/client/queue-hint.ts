// A builder names queues by hand (an action type's queue for To Do, a manual step's queue): what to say
// of a name that is no queue's.

/**
 * What to tell a builder about a queue they name (an action type's for To Do, a manual step's): nothing
 * for a queue, an empty name, or while the queues are being read. Any other name is saved as typed (the
 * API takes it: a queue created later lists the tasks that carry its name), but said to be no queue yet;
 * one differing only in case names the queue meant, since queue names are exact and its tasks would
 * reach no one's list.
 */
export function queueHint(typed: string, queues: ReadonlyArray<{ name: string }> | undefined): string | undefined {
  const name = typed.trim();
  if (name === '' || queues === undefined || queues.some((q) => q.name === name)) return undefined;
  const like = queues.find((q) => q.name.toLowerCase() === name.toLowerCase());
  if (like) return `No queue is named “${name}”: queue names are exact. Did you mean “${like.name}”?`;
  return `No queue is named “${name}” yet: its tasks reach no one's list until a queue with this name is created.`;
}
