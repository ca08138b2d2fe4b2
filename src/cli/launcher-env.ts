/**
 * What bin/lifeboat changed in the environment before starting node, undone before the CLI can
 * spawn anything. It moves NODE_EXTRA_CA_CERTS aside (Node would parse the bundle at start-up,
 * ~33 ms, though most commands open no TLS connection; platform/tls-trust.ts is how our own TLS
 * trusts it). Kept apart from tls-trust.ts, whose node:tls import costs every command ~4 ms.
 */

/** Where bin/lifeboat keeps NODE_EXTRA_CA_CERTS while node starts. */
export const DEFERRED_CA_ENV = 'LIFEBOAT_DEFERRED_NODE_EXTRA_CA_CERTS';

/** Undoes the launcher's move: NODE_EXTRA_CA_CERTS is set again, as the user had it. */
export function restoreDeferredCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[DEFERRED_CA_ENV];
  if (file === undefined) return;
  delete env[DEFERRED_CA_ENV];
  env.NODE_EXTRA_CA_CERTS ??= file;
}
