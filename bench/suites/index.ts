/** Every suite, in the order they run. New rows go in a suite file here. */
import { containers } from './containers.js';
import { images } from './images.js';
import { limits } from './limits.js';

export const SUITES = [limits, images, containers];
