#!/usr/bin/env node
// A native-solc-compatible front end for the pinned solcjs (the npm package `solc`).
//
// py-solc-x drives a compiler binary as `solc --version` and `solc --standard-json` (input on
// stdin). The `solcjs` command that ships with the package prints a notice about SMT solvers on
// stdout before its JSON, which breaks that protocol, so ledger.compiler runs this script
// instead: it answers both calls exactly as native solc does and writes nothing else.
'use strict';

const solc = require('solc');

const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('usage: solcjs.cjs --version | --standard-json < input.json\n');
  process.exit(2);
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  // No import callback: the caller passes every source's content in the input.
  process.stdout.write(solc.compile(Buffer.concat(chunks).toString('utf8')));
});
