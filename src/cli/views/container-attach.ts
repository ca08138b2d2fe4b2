/**
 * An attached container (`run` without -d, `start -a`): its output goes to our stdout and stderr
 * as it is produced, our stdin to it with -i, and SIGINT/SIGTERM/SIGHUP are forwarded to it (as
 * docker's --sig-proxy does). Resolves to the container's exit code once the supervisor reports
 * the exit (with --rm: once the container is removed).
 */
import type { SupervisorSession } from '../../runtime/supervisor-client.js';

export function attachedOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void {
  (stream === 'stdout' ? process.stdout : process.stderr).write(data);
}

export async function followSession(session: SupervisorSession, opts: { stdin: boolean }): Promise<number> {
  const forward = (signal: NodeJS.Signals) => session.send({ type: 'signal', signal });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  const onData = (d: Buffer) => session.send({ type: 'stdin', data: d });
  const onEnd = () => session.send({ type: 'stdin-end' });
  if (opts.stdin) {
    process.stdin.on('data', onData);
    process.stdin.on('end', onEnd);
  }
  try {
    const { code } = await session.exited;
    return code;
  } finally {
    for (const s of signals) process.off(s, forward);
    if (opts.stdin) {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      process.stdin.unref?.();
    }
    session.detach();
  }
}
