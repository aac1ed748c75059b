#!/usr/bin/env node
// The `revokd` command: the compiled CLI (`npm install` builds dist/ through `prepare`).
await import('../dist/src/cli/main.js');
