/**
 * Container names: Docker's rule ([a-zA-Z0-9][a-zA-Z0-9_.-]+, a leading "/" tolerated on input)
 * and generated "adjective_noun" names for containers created without --name.
 */
import { InvalidInputError } from '../core/errors.js';

const ADJECTIVES = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fair', 'fancy', 'gentle', 'happy',
  'hardy', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'mighty', 'nimble', 'noble', 'plucky', 'proud', 'quick', 'quiet',
  'rapid', 'serene', 'sharp', 'shiny', 'silent', 'sleepy', 'snappy', 'steady', 'sturdy', 'sunny', 'swift', 'tidy', 'vivid', 'witty',
];
const NOUNS = [
  'albatross', 'anchor', 'beacon', 'buoy', 'compass', 'coral', 'cutter', 'dinghy', 'dolphin', 'ferry', 'gull', 'harbor', 'heron',
  'keel', 'kelp', 'lantern', 'lighthouse', 'mariner', 'mast', 'narwhal', 'oar', 'orca', 'otter', 'pelican', 'pier', 'puffin',
  'raft', 'reef', 'rudder', 'sail', 'schooner', 'seal', 'skiff', 'sloop', 'tern', 'tide', 'walrus', 'wave', 'whale', 'yacht',
];

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Strips Docker's optional leading slash and checks the characters. */
export function normalizeName(input: string): string {
  const name = input.startsWith('/') ? input.slice(1) : input;
  if (!NAME.test(name) || name.length > 253) {
    throw new InvalidInputError(`invalid container name "${input}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { code: 'INVALID_NAME' });
  }
  return name;
}

/** Math.random: a name needs no secrecy, and node:crypto costs every command that loads this ~3.5 ms. */
function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/** A fresh name not in `taken`; adds a number when the space of pairs runs low. */
export function generateName(taken: ReadonlySet<string>): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
    const name = attempt < 10 ? base : `${base}${randomInt(1000)}`;
    if (!taken.has(name)) return name;
  }
  throw new Error('could not generate a free container name');
}
