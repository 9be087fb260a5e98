#!/usr/bin/env node
// Compiles every .sol file under --src with solc-js (the exact version pinned in the repository's
// package-lock.json) and writes <Contract>.abi and <Contract>.bin for each contract into --out,
// for org.web3j.codegen.SolidityFunctionWrapperGenerator to turn into Java wrappers.
//
// Run by the ledger-sink Maven build (exec-maven-plugin, generate-sources). If the repository's
// node_modules is missing or holds other versions than package-lock.json, it first runs
// `npm ci --ignore-scripts` at the repository root (solc and ganache need no install script; only
// optional native speed-ups of ws have one), so `mvn verify` stays the one command a developer or
// CI needs, given Node 18+ with npm on the PATH and the npm registry reachable.
// Skips the compilation when the sources, compiler and settings are unchanged since the last run.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

const EVM_VERSION = 'shanghai'; // the newest hardfork ganache 7.9.2 runs; Besu/Geth run it too
const OPTIMIZER_RUNS = 200;

function fail(message) {
  console.error('[compile-solidity] ' + message);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key.startsWith('--') || i + 1 >= argv.length) {
      fail('Cannot parse arguments: expected --root DIR --src DIR --out DIR, got ' + argv.join(' '));
    }
    args[key.slice(2)] = path.resolve(argv[i + 1]);
  }
  for (const required of ['root', 'src', 'out']) {
    if (!args[required]) fail('Cannot compile: missing argument --' + required + ' DIR.');
  }
  return args;
}

/** Names of the packages in package-lock.json whose installed version differs from the lock. */
function outdatedPackages(root) {
  const lockFile = path.join(root, 'package-lock.json');
  if (!fs.existsSync(lockFile)) {
    fail('Cannot compile the Solidity contracts: ' + lockFile + ' is missing. Restore it from git '
      + '(it pins solc and ganache) and build again.');
  }
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  const direct = Object.keys(Object.assign({}, lock.packages[''].dependencies, lock.packages[''].devDependencies));
  return direct.filter((name) => {
    const installed = path.join(root, 'node_modules', name, 'package.json');
    if (!fs.existsSync(installed)) return true;
    const want = lock.packages['node_modules/' + name].version;
    return JSON.parse(fs.readFileSync(installed, 'utf8')).version !== want;
  });
}

function ensureNodeModules(root) {
  const outdated = outdatedPackages(root);
  if (outdated.length === 0) return;
  console.log('[compile-solidity] ' + outdated.join(', ') + ' not installed at the pinned version; running '
    + '`npm ci` in ' + root);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (run.error || run.status !== 0) {
    fail('Cannot install the Solidity compiler and dev chain: `npm ci` in ' + root + ' failed ('
      + (run.error ? run.error.message : 'exit code ' + run.status) + '). Run `npm ci` in ' + root
      + ' by hand (it needs Node 18+ with npm and access to the npm registry), then build again.');
  }
  const still = outdatedPackages(root);
  if (still.length > 0) {
    fail('Cannot compile: after `npm ci`, ' + still.join(', ') + ' still differ from package-lock.json in '
      + root + '. Delete ' + path.join(root, 'node_modules') + ' and run `npm ci` there.');
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  ensureNodeModules(args.root);
  const solc = require(path.join(args.root, 'node_modules', 'solc'));

  const files = fs.readdirSync(args.src).filter((f) => f.endsWith('.sol')).sort();
  if (files.length === 0) fail('Cannot compile: no .sol file in ' + args.src + '.');
  const sources = {};
  for (const f of files) sources[f] = { content: fs.readFileSync(path.join(args.src, f), 'utf8') };
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };

  const stamp = crypto.createHash('sha256').update(solc.version()).update(JSON.stringify(input)).digest('hex');
  const stampFile = path.join(args.out, '.stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    console.log('[compile-solidity] ' + files.join(', ') + ' unchanged; contracts in ' + args.out + ' are up to date');
    return;
  }

  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const problems = output.errors || [];
  for (const p of problems) console.log(p.formattedMessage || p.message);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    fail('Cannot compile ' + files.join(', ') + ' with solc ' + solc.version() + ': ' + errors.length
      + ' error(s), listed above.');
  }

  fs.mkdirSync(args.out, { recursive: true });
  const written = [];
  for (const file of Object.keys(output.contracts || {})) {
    for (const [name, contract] of Object.entries(output.contracts[file])) {
      fs.writeFileSync(path.join(args.out, name + '.abi'), JSON.stringify(contract.abi));
      fs.writeFileSync(path.join(args.out, name + '.bin'), contract.evm.bytecode.object);
      written.push(name + ' (' + contract.evm.bytecode.object.length / 2 + ' bytes)');
    }
  }
  fs.writeFileSync(stampFile, stamp);
  console.log('[compile-solidity] solc ' + solc.version() + ', evmVersion ' + EVM_VERSION + ': '
    + written.join(', ') + ' -> ' + args.out);
}

main();
