/** `npm run setup:temporal`: installs the Temporal CLI ahead of time (when not on PATH) and prints where it is. */
import { ensureTemporalCli } from '../app/temporal-cli.js';

console.log(await ensureTemporalCli());
