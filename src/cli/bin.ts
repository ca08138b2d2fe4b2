/** Process entry: run the CLI and set the exit status. bin/lifeboat and the e2e tests start here. */
import { main } from './main.js';

process.exitCode = await main();
