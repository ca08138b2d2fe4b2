/**
 * One error hierarchy for all of Lifeboat. Every error a user can meet has a stable `code`
 * (machine-readable, shown with --json), a `hint` (what to do next) and an exit status. Library
 * code throws these and never calls process.exit; the CLI maps them to the process exit in one
 * place (cli/exit.ts). The table of exit statuses is documented in the README.
 */

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  INVALID_INPUT: 5,
  INTEGRITY: 6,
  CONTAINER_FAILED: 7,
  VERIFY_FAILED: 8,
  NO_REPOSITORY: 10,
  LOCKED: 11,
  AUTH: 12,
  UNREACHABLE: 13,
  NO_SPACE: 14,
  PERMISSION: 15,
  TIMEOUT: 16,
  CANCELLED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorOptions {
  hint?: string;
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class LifeboatError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(code: string, exitCode: ExitCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.data = opts.data ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, hint: this.hint, exitCode: this.exitCode, ...this.data };
  }
}

/** A command line that cannot be understood: unknown flag, missing argument, bad value. */
export class UsageError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('USAGE', ExitCode.USAGE, message, opts);
  }
}

/** Something named by the user does not exist (image, container, volume, snapshot, backup, blob). */
export class NotFoundError extends LifeboatError {
  constructor(kind: string, name: string, opts?: ErrorOptions) {
    super('NOT_FOUND', ExitCode.NOT_FOUND, `no such ${kind}: ${name}`, { ...opts, data: { kind, name, ...opts?.data } });
  }
}

/** The operation would clobber or break something that exists: a name taken, an image in use. */
export class ConflictError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('CONFLICT', ExitCode.CONFLICT, message, opts);
  }
}

/** Input that is malformed or hostile: a bad tarball, bad JSON, a path escape, a bad cron line. */
export class InvalidInputError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'INVALID_INPUT', ExitCode.INVALID_INPUT, message, opts);
  }
}

/** An image reference that does not follow Docker's grammar. */
export class InvalidReferenceError extends InvalidInputError {
  constructor(ref: string, reason: string) {
    super(`invalid reference format "${ref}": ${reason}`, {
      code: 'INVALID_REFERENCE',
      hint: 'references look like name[:tag] or host[:port]/path/name[:tag] or name@sha256:<64 hex>',
      data: { reference: ref },
    });
  }
}

/** An archive entry or manifest that tries to reach outside its root or otherwise breaks the rules. */
export class HostileArchiveError extends InvalidInputError {
  constructor(message: string, data?: Record<string, unknown>) {
    super(message, { code: 'HOSTILE_ARCHIVE', data, hint: 'the archive was refused and nothing was changed' });
  }
}

/** Bytes that do not match the digest or size that names them. */
export class IntegrityError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'INTEGRITY', ExitCode.INTEGRITY, message, opts);
  }
}

export class DigestMismatchError extends IntegrityError {
  constructor(expected: string, actual: string, what = 'content') {
    super(`${what} digest mismatch: expected ${expected}, got ${actual}`, {
      code: 'DIGEST_MISMATCH',
      data: { expected, actual },
      hint: 'the data is corrupt or was tampered with; nothing was committed',
    });
  }
}

export class SizeMismatchError extends IntegrityError {
  constructor(expected: number, actual: number, what = 'content') {
    super(`${what} size mismatch: expected ${expected} bytes, got ${actual}`, {
      code: 'SIZE_MISMATCH',
      data: { expected, actual },
    });
  }
}

/** A container that could not be started or died in a way the user must hear about. */
export class ContainerError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'CONTAINER_FAILED', ExitCode.CONTAINER_FAILED, message, opts);
  }
}

/** A restore verification (or drill) whose container did not prove healthy. */
export class VerifyFailedError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('VERIFY_FAILED', ExitCode.VERIFY_FAILED, message, opts);
  }
}

export class NoRepositoryError extends LifeboatError {
  constructor(url: string, opts?: ErrorOptions) {
    super('NO_REPOSITORY', ExitCode.NO_REPOSITORY, `no Lifeboat repository at ${url}`, {
      hint: `create one with: lifeboat repo init ${url}`,
      ...opts,
      data: { url, ...opts?.data },
    });
  }
}

export class LockedError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('LOCKED', ExitCode.LOCKED, message, opts);
  }
}

/** Authentication or host identity failed: a refused key, an unknown or changed host key. */
export class AuthError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'AUTH', ExitCode.AUTH, message, opts);
  }
}

export class UnreachableError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('UNREACHABLE', ExitCode.UNREACHABLE, message, opts);
  }
}

export class NoSpaceError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('NO_SPACE', ExitCode.NO_SPACE, message, { hint: 'free some space and run the command again; nothing was committed', ...opts });
  }
}

export class PermissionError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('PERMISSION', ExitCode.PERMISSION, message, opts);
  }
}

export class TimeoutError extends LifeboatError {
  constructor(message: string, opts?: ErrorOptions) {
    super('TIMEOUT', ExitCode.TIMEOUT, message, opts);
  }
}

export class CancelledError extends LifeboatError {
  constructor(message = 'cancelled', opts?: ErrorOptions) {
    super('CANCELLED', ExitCode.CANCELLED, message, opts);
  }
}

/**
 * Turns an operating-system error (ENOSPC, EACCES, ...) into the matching Lifeboat error, keeping
 * the original as `cause`. Anything already a LifeboatError passes through unchanged.
 */
export function fromSystemError(err: unknown, context?: string): unknown {
  if (err instanceof LifeboatError || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const where = context ? `${context}: ` : '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new NoSpaceError(`${where}no space left on device`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new PermissionError(`${where}${err.message}`, { cause: err, hint: 'run as root, or check the file permissions' });
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
      return new UnreachableError(`${where}${err.message}`, { cause: err });
    default:
      return err;
  }
}

export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}
