import { installTelemetry } from '../../app/telemetry.js';

// Tests print only what went wrong, in the same JSON form as production.
installTelemetry({ logLevel: 'warn' });
