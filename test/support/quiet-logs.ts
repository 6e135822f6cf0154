import { installJsonLogging } from '../../app/logging.js';

// Tests print only what went wrong, in the same JSON form as production.
installJsonLogging('warn');
