// Hardhat compiles the same sources with the same settings as ledger/_compiler.py, offline:
// contracts/compiler.json is the one build configuration, and the compiler is the pinned solcjs
// from node_modules instead of a download. tests/ledger/test_compiler.py checks that both builds
// produce identical bytecode.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');

const compiler = JSON.parse(fs.readFileSync(path.join(__dirname, 'contracts', 'compiler.json'), 'utf8'));

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, hre, runSuper) => {
  if (args.solcVersion !== compiler.version) {
    throw new Error(`contracts/compiler.json pins solc ${compiler.version}, not ${args.solcVersion}`);
  }
  const solc = require('solc');
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: solc.version(),
  };
});

module.exports = {
  solidity: { version: compiler.version, settings: compiler.settings },
  paths: {
    sources: './contracts',
    artifacts: './hardhat-out/artifacts',
    cache: './hardhat-out/cache',
  },
};
