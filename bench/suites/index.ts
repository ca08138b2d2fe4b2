/** Every suite, in the order they run. New rows go in a suite file here. */
import { backups } from './backups.js';
import { containers } from './containers.js';
import { images } from './images.js';
import { limits } from './limits.js';
import { migration } from './migration.js';
import { volumes } from './volumes.js';

export const SUITES = [limits, images, containers, volumes, backups, migration];
