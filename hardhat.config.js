// Hardhat compiles the same sources with the same settings as ledger/_compiler.py, offline:
// contracts/compiler.json is the one build configuration, and the compiler is the pinned solcjs
// from node_modules instead of a download. tests/contracts/test_static_analysis.py checks that both
// builds produce identical bytecode, and runs slither over this build.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');

const out = process.env.CERTLEDGER_HARDHAT_OUT || path.join(__dirname, 'hardhat-out');
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
  // CERTLEDGER_HARDHAT_OUT moves the outputs (tests and `make lint` build into folders of their own).
  paths: {
    sources: './contracts',
    artifacts: path.join(out, 'artifacts'),
    cache: path.join(out, 'cache'),
  },
};
