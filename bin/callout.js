#!/usr/bin/env node
// `callout` (npx callout, or the bin of an installed package): the CLI in src/cli/main.ts, compiled by tsx
// in this process (no build step, no second process to forward signals and exit codes through).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsx = register({ namespace: 'callout-cli', tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await tsx.import('../src/cli/main.ts', import.meta.url);
