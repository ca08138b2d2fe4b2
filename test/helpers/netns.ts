/**
 * Two "hosts" as network namespaces joined by a veth pair, for tests that cut, slow or restore the
 * link between a client and a server. Names are unique per run (parallel runs don't collide), the
 * addresses exist only inside the two namespaces, and after() deletes both namespaces (which also
 * deletes the veth pair). Never connect to these addresses from the root namespace: it routes them
 * off the machine. Run clients with `exec` (ip netns exec) instead.
 * The kernel here has no netem: a rate limit is `tbf`, a cut is the link going down.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isRoot } from './requirements.js';

export interface TwoHosts {
  nsA: string;
  nsB: string;
  ifA: string;
  ifB: string;
  ipA: string;
  ipB: string;
  /** Takes B's end of the link down (a hard cut: packets vanish). */
  cut(): void;
  /** Brings it back up and waits until A can reach B again. */
  restore(port: number): Promise<void>;
  /** Limits A's egress (e.g. "8mbit") so a transfer is slow enough to interrupt. */
  rate(rate: string): void;
  /** Removes the rate limit. */
  clear(): void;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A skip reason when namespaces cannot be made here (not root, no iproute2/tc, no permission). */
export function netnsUnavailable(): string | undefined {
  if (!isRoot()) return 'needs root for ip netns';
  for (const c of ['ip', 'tc']) if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0) return `needs ${c}`;
  const probe = `lbprobe${randomBytes(3).toString('hex')}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return 'ip netns add is not permitted here';
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

export function twoHosts(t: { after: (fn: () => unknown) => void }): TwoHosts {
  const id = randomBytes(3).toString('hex');
  const nsA = `lbA${id}`;
  const nsB = `lbB${id}`;
  const ifA = `va${id}`;
  const ifB = `vb${id}`;
  const net = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
  const ipA = `${net}.1`;
  const ipB = `${net}.2`;
  const created: string[] = [];
  t.after(() => {
    for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
  });
  ip('netns', 'add', nsA);
  created.push(nsA);
  ip('netns', 'add', nsB);
  created.push(nsB);
  ip('link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB);
  ip('link', 'set', ifA, 'netns', nsA);
  ip('link', 'set', ifB, 'netns', nsB);
  ip('-n', nsA, 'addr', 'add', `${ipA}/24`, 'dev', ifA);
  ip('-n', nsB, 'addr', 'add', `${ipB}/24`, 'dev', ifB);
  for (const ns of [nsA, nsB]) ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', nsA, 'link', 'set', ifA, 'up');
  ip('-n', nsB, 'link', 'set', ifB, 'up');
  return {
    nsA,
    nsB,
    ifA,
    ifB,
    ipA,
    ipB,
    cut: () => ip('-n', nsB, 'link', 'set', ifB, 'down'),
    restore: async (port: number) => {
      ip('-n', nsB, 'link', 'set', ifB, 'up');
      for (let i = 0; i < 50; i++) {
        spawnSync('ip', ['-n', nsA, 'neigh', 'flush', 'dev', ifA]);
        const ok = spawnSync('ip', ['netns', 'exec', nsA, 'timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${ipB}/${port}`]).status === 0;
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the link did not come back');
    },
    rate: (rate: string) => ip('netns', 'exec', nsA, 'tc', 'qdisc', 'replace', 'dev', ifA, 'root', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms'),
    clear: () => {
      spawnSync('ip', ['netns', 'exec', nsA, 'tc', 'qdisc', 'del', 'dev', ifA, 'root']);
    },
  };
}
