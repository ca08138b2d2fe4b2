/**
 * Which certificate authorities Lifeboat's own TLS connections trust: Node's roots plus the PEM
 * bundle named by NODE_EXTRA_CA_CERTS, as Node would, but read only by a connection that needs it.
 *
 * Node parses that bundle (and every root with it) when the process starts, whether or not it ever
 * opens a TLS connection: ~33 ms of each CLI start here, against ~20 ms for the rest of Node's. Most
 * commands (`ps`, `stop`, `rm`, snapshots, SFTP backups) never speak TLS, so bin/lifeboat moves the
 * variable aside before starting node and the CLI puts it back first thing (cli/launcher-env.ts),
 * so every child process (hooks, ssh, the scheduler's jobs) sees the environment the user set.
 * Code that opens a TLS connection passes `tlsTrust()` to it.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

let cached: { file: string; ca: string[] } | undefined;

/**
 * TLS options for a connection Lifeboat opens: `ca` with Node's roots and the extra bundle when
 * NODE_EXTRA_CA_CERTS names one; nothing otherwise (Node's defaults). A bundle that cannot be read
 * is left out, as Node leaves it out (the connection then fails on the certificate, saying so).
 */
export function tlsTrust(env: NodeJS.ProcessEnv = process.env): { ca?: string[] } {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return {};
  if (cached?.file !== file) {
    let extra: string[] = [];
    try {
      extra = [readFileSync(file, 'utf8')];
    } catch {
      // as Node does with an unreadable bundle: trust the roots alone
    }
    cached = { file, ca: [...rootCertificates, ...extra] };
  }
  return { ca: cached.ca };
}
