#!/usr/bin/env node
// bin/paas.js — the package's `paas` command: runs the local CLI (controller/cli/main.ts) through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
