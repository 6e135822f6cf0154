import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });
const restricted = async (filePath: string, code: string) =>
  (await eslint.lintText(code, { filePath }))[0]!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').length;

// The Layout table in README.md, as eslint.config.js enforces it: these imports fail `npm run lint` in CI.
describe('the layering rule', () => {
  it.each([
    ['activities/probe.ts', "import { createBot } from '../bot/bot.js';\nexport const x = createBot;"],
    ['telegram/probe.ts', "import { startBot } from '../bot/run.js';\nexport const x = startBot;"],
    ['workflows/probe.ts', "import { createStore } from '../db/store.js';\nexport const x = createStore;"],
    ['workflows/probe.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;"],
    ['bot/probe.ts', "import { createFileActivities } from '../activities/files.js';\nexport const x = createFileActivities;"],
    ['audio/probe.ts', "import type { Analysis } from '../workflows/types.js';\nexport type X = Analysis;"],
    ['app/probe.ts', "import { startWorker } from '../worker/run.js';\nexport const x = startWorker;"],
  ])('refuses %s importing across a layer', async (file, code) => {
    expect(await restricted(file, code)).toBe(1);
  });

  it.each([
    ['workflows/probe.ts', "import type { FileActivities } from '../activities/files.js';\nexport type X = FileActivities;"],
    ['activities/probe.ts', "import { renderAnswer } from '../telegram/render.js';\nexport const x = renderAnswer;"],
    ['models/probe.ts', "import { LogMel } from '../audio/logmel.js';\nexport const x = LogMel;"],
    ['commands/probe.ts', "import { startBot } from '../bot/run.js';\nexport const x = startBot;"],
  ])('allows %s', async (file, code) => {
    expect(await restricted(file, code)).toBe(0);
  });
});
