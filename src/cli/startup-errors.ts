// A mistake at start (a port in use, a database that is not there, a folder that is a file) told in
// one line that names the setting to mend; a stack trace would bury it. Anything else keeps its stack.

interface SystemError {
  code?: unknown;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  syscall?: string;
  path?: string;
}

export function startupProblem(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SystemError;
  const at = e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : 'its address';
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${e.port ?? '?'} is already in use on ${e.address ?? 'this machine'}: stop what holds it, or set PORT (--port) to another`;
    case 'EADDRNOTAVAIL':
      return `${e.address ?? 'the address'} is not an address of this machine: set HOST (--host) to one that is, or 0.0.0.0`;
    case 'EACCES':
    case 'EPERM':
      return e.syscall === 'listen'
        ? `port ${e.port ?? '?'} needs privileges this process does not have: set PORT (--port) to 1024 or above`
        : `permission denied${e.path ? ` on ${e.path}` : ''}: ${e.message ?? ''}`;
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${at}: is PostgreSQL running there? (DATABASE_URL)`;
    case 'ETIMEDOUT':
      return `no answer from ${at}: is the database reachable? (DATABASE_URL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${JSON.stringify(e.hostname ?? '?')} cannot be found (DATABASE_URL or HOST)`;
    case '3D000': // PostgreSQL: invalid_catalog_name
      return `${e.message ?? 'the database does not exist'} (DATABASE_URL): create it first, e.g. \`createdb\``;
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification
      return `the database refused the login: ${e.message ?? ''} (DATABASE_URL)`;
    case 'EEXIST':
    case 'ENOTDIR':
      return `${e.path ?? 'a path'} is not a folder: CALLOUT_DATA_DIR (--data-dir) must name a folder`;
    case 'EROFS':
      return `${e.path ?? 'the data folder'} is on a read-only file system: CALLOUT_DATA_DIR (--data-dir) must name a folder this process can write`;
    case 'ENOSPC':
      return `no space left on the device of ${e.path ?? 'the data folder'}: free some, or set CALLOUT_DATA_DIR (--data-dir) to a folder on another`;
    case 'ENOENT':
      return e.path !== undefined ? `${e.path} does not exist` : undefined;
    default:
      return undefined;
  }
}
