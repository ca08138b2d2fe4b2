/**
 * Which certificate authorities Lifeboat's own TLS connections trust: Node's default store (its
 * roots, or the system's under --use-openssl-ca) plus the PEM bundle named by NODE_EXTRA_CA_CERTS,
 * as Node would, but read only by a connection that needs it.
 *
 * Node parses that bundle (and every root with it) when the process starts, whether or not it ever
 * opens a TLS connection: ~33 ms of each CLI start here, against ~20 ms for the rest of Node's. Most
 * commands (`ps`, `stop`, `rm`, snapshots, SFTP backups) never speak TLS, so bin/lifeboat moves the
 * variable aside before starting node and the CLI puts it back first thing (cli/launcher-env.ts),
 * so the child processes it starts (hooks, skopeo and the like) see the environment the user set.
 * Every TLS connection Lifeboat opens passes `tlsTrust()` to it.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** The native context's method that adds one CA to a context's store, as the `ca` option does per certificate (not in the typings). */
type WithAddCa = SecureContext & { context?: { addCACert?: (pem: string) => void } };

let cached: { file: string; trust: { secureContext: SecureContext } } | undefined;
let warned: string | undefined;

/**
 * TLS options for a connection Lifeboat opens: a secure context that trusts the default store and
 * the extra bundle when NODE_EXTRA_CA_CERTS names one; nothing otherwise (Node's defaults). A
 * bundle that cannot be read is left out with one warning, as Node does at start-up, and read
 * again by the next connection (a fixed file needs no restart of the scheduler).
 */
export function tlsTrust(env: NodeJS.ProcessEnv = process.env): { secureContext?: SecureContext } {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return {};
  if (cached?.file === file) return cached.trust;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if (warned !== file) process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
    warned = file;
    return {};
  }
  // Added to the default store, as Node adds the bundle; `ca` would replace the store instead, so
  // it is only the fallback for a Node without the method (then Node's bundled roots plus the file).
  const context = createSecureContext() as WithAddCa;
  const trust = typeof context.context?.addCACert === 'function' ? (context.context.addCACert(pem), context) : createSecureContext({ ca: [...rootCertificates, pem] });
  cached = { file, trust: { secureContext: trust } };
  return cached.trust;
}
