#!/usr/bin/env node
// Copyright The mra Authors.
//
// File: bench/js/dcap_peers.mjs
// -----------------------------------------------------------------------------
// Times the peer DCAP verifiers that bench/compare_dcap.sh compares mra with:
//   js   - @phala/dcap-qvl      (JavaScript; see NOTE below)
//   wasm - @phala/dcap-qvl-web  (the Rust dcap-qvl crate compiled to wasm)
// on the same quote + collateral files as bench/dcap_benchmark.cc, at the
// same verification time ("now") taken from shared/testdata/dcap/cases.json.
//
// Before timing, each (peer, case) must return exactly the expected status
// and advisory IDs from cases.json, and must REJECT the quote with one byte
// of its signed body flipped; otherwise the script exits 1 (we only compare
// like with like, and never time a verifier that short-circuits).
//
// "Cold": neither peer has a collateral cache. Every verify() call parses the
// quote, parses the TCB info / QE identity JSON strings, parses and checks
// the issuer chains and both CRLs, and verifies every signature. So each call
// is a cold verification, and the same per-call number is the peers' best
// case for "collateral cached" too. The collateral bundle is passed as the
// already-JSON.parse'd object (the peers' API shape); the outer JSON.parse
// of the file is timed separately (bundle_parse_us) and NOT included in
// us_per_op, which favours the peers.
//
// NOTE: @phala/dcap-qvl is "pure JS" only in browsers. Under Node it detects
// crypto.X509Certificate and uses Node's built-in crypto (OpenSSL) for X.509
// parsing and ECDSA verification; that is the configuration timed here (what
// a Node user gets). --js-browser-crypto is not offered: the package decides
// at load time.
//
// Usage: node dcap_peers.mjs [--shared DIR] [--min-time SECONDS]
//                            [--rounds R] [--warmup N] [--cases sgx,tdx]
//                            [--peers js,wasm]
// Prints one JSON object on stdout; progress goes to stderr.

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));

// The benchmarked cases: ids in cases.json, kept in sync with
// bench/dcap_benchmark.cc.
const kCases = {
  sgx: 'dcapqvl-sgx_quote@dcapqvl-sgx-2506',
  tdx: 'dcapqvl-tdx_quote@dcapqvl-tdx-b0c06f-2506',
};

function Die(msg) {
  process.stderr.write(`dcap_peers: FAIL: ${msg}\n`);
  process.exit(1);
}

function ParseArgs(argv) {
  const args = {
    shared: process.env.MRA_SHARED_DIR || path.resolve(here, '../../../shared'),
    minTime: 1.0,
    rounds: 5,
    warmup: 50,
    cases: ['sgx', 'tdx'],
    peers: ['js', 'wasm'],
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) Die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--shared') args.shared = v();
    else if (a === '--min-time') args.minTime = Number(v());
    else if (a === '--rounds') args.rounds = Number(v());
    else if (a === '--warmup') args.warmup = Number(v());
    else if (a === '--cases') args.cases = v().split(',');
    else if (a === '--peers') args.peers = v().split(',');
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n').filter((l) => l.startsWith('//')).join('\n') + '\n');
      process.exit(0);
    } else Die(`unknown argument ${a}`);
  }
  if (!(args.minTime > 0) || !(args.rounds >= 1) || !(args.warmup >= 0)) {
    Die('bad --min-time/--rounds/--warmup');
  }
  for (const c of args.cases) if (!kCases[c]) Die(`unknown case ${c}`);
  return args;
}

function PackageVersion(name) {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

async function LoadPeers(names) {
  const peers = {};
  if (names.includes('js')) {
    const qvl = require('@phala/dcap-qvl');
    peers.js = {
      package: '@phala/dcap-qvl',
      version: PackageVersion('@phala/dcap-qvl'),
      crypto: qvl.isBrowser ? 'pure JS (elliptic, asn1.js)' : 'Node crypto (OpenSSL) for X.509 + ECDSA',
      verify: (quote, collateral, now) => qvl.verify(quote, collateral, now),
    };
  }
  if (names.includes('wasm')) {
    // The package is ESM with a wasm-bindgen loader; instantiate synchronously
    // from the bytes (no fetch), once, outside the timed region.
    const dir = path.dirname(require.resolve('@phala/dcap-qvl-web/package.json'));
    const web = await import(pathToFileURL(path.join(dir, 'dcap-qvl-web.js')).href);
    web.initSync({ module: fs.readFileSync(path.join(dir, 'dcap-qvl-web_bg.wasm')) });
    peers.wasm = {
      package: '@phala/dcap-qvl-web',
      version: PackageVersion('@phala/dcap-qvl-web'),
      crypto: 'Rust dcap-qvl compiled to wasm32 (ring for ECDSA)',
      verify: (quote, collateral, now) => web.js_verify(quote, collateral, BigInt(now)),
    };
  }
  for (const n of names) if (!peers[n]) Die(`unknown peer ${n}`);
  return peers;
}

function LoadCase(shared, key) {
  const casesPath = path.join(shared, 'testdata/dcap/cases.json');
  const all = JSON.parse(fs.readFileSync(casesPath, 'utf8')).cases;
  const c = all.find((x) => x.id === kCases[key]);
  if (!c) Die(`case ${kCases[key]} not in ${casesPath}`);
  if (c.partial) Die(`case ${c.id} is partial; not a like-for-like benchmark`);
  const base = path.join(shared, 'testdata/dcap');
  const collateralText = fs.readFileSync(path.join(base, c.collateral), 'utf8');
  return {
    key,
    id: c.id,
    quoteFile: c.quote,
    collateralFile: c.collateral,
    now: c.now,
    expected: c.expected,
    quote: new Uint8Array(fs.readFileSync(path.join(base, c.quote))),
    collateralText,
    collateral: JSON.parse(collateralText),
  };
}

function SameList(a, b) {
  const x = [...(a || [])].sort();
  const y = [...(b || [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

// Check the verdict before timing anything.
function CheckPeer(name, peer, c) {
  let r;
  try {
    r = peer.verify(c.quote, c.collateral, c.now);
  } catch (e) {
    Die(`${name} on ${c.key} threw: ${e && e.message}`);
  }
  if (r.status !== c.expected.status) {
    Die(`${name} on ${c.key}: status ${r.status}, expected ${c.expected.status}`);
  }
  if (!SameList(r.advisory_ids, c.expected.advisory_ids)) {
    Die(`${name} on ${c.key}: advisory_ids ${JSON.stringify(r.advisory_ids)}, ` +
        `expected ${JSON.stringify(c.expected.advisory_ids)}`);
  }
  // Flip one byte of the signed report body (REPORTDATA[0] is at 368 for SGX
  // v3 and at 568 for TDX v4): the quote signature must no longer verify.
  const bad = Uint8Array.from(c.quote);
  bad[c.key === 'sgx' ? 368 : 568] ^= 1;
  let rejected = false;
  try {
    peer.verify(bad, c.collateral, c.now);
  } catch (e) {
    rejected = true;
  }
  if (!rejected) Die(`${name} on ${c.key} accepted a tampered quote`);
  return r.status;
}

function NowNs() {
  return process.hrtime.bigint();
}

// Runs fn() `iters` times; returns elapsed wall and CPU (user + system, whole
// process: on one pinned CPU that includes V8's GC and compiler threads)
// nanoseconds.
function TimeLoop(fn, iters) {
  const c0 = process.cpuUsage();
  const t0 = NowNs();
  for (let i = 0; i < iters; i++) fn();
  const wall = Number(NowNs() - t0);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) * 1e3 };
}

function Median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Google-Benchmark-like: grow the iteration count until one run takes
// min_time, then run `rounds` rounds of that many iterations and report the
// median per-op wall time (us_per_op) and CPU time (cpu_us_per_op).
function Measure(fn, { minTime, rounds, warmup }) {
  TimeLoop(fn, warmup);
  let iters = 1;
  for (;;) {
    const { wall } = TimeLoop(fn, iters);
    if (wall >= minTime * 1e9 || iters >= 1e7) break;
    const target = Math.ceil((iters * minTime * 1e9 * 1.1) / Math.max(wall, 1));
    iters = Math.min(Math.max(target, iters * 2), iters * 100);
  }
  const wall = [];
  const cpu = [];
  for (let r = 0; r < rounds; r++) {
    const t = TimeLoop(fn, iters);
    wall.push(t.wall / iters / 1e3);
    cpu.push(t.cpu / iters / 1e3);
  }
  return {
    us_per_op: Median(wall),
    cpu_us_per_op: Median(cpu),
    min_us: Math.min(...wall),
    max_us: Math.max(...wall),
    iterations: iters,
    rounds,
  };
}

async function Main() {
  const args = ParseArgs(process.argv);
  const peers = await LoadPeers(args.peers);
  const out = {
    node: process.version,
    v8: process.versions.v8,
    pid: process.pid,
    settings: { min_time_s: args.minTime, rounds: args.rounds, warmup: args.warmup },
    loadavg_at_start: fs.existsSync('/proc/loadavg') ? fs.readFileSync('/proc/loadavg', 'utf8').trim() : null,
    cold_semantics: 'Peers have no collateral cache: every verify() call parses the quote, ' +
      'the TCB info and QE identity JSON, the issuer chains and CRLs, and verifies every ' +
      'signature. us_per_op is therefore both their cold and their best cached number. ' +
      'The collateral is passed pre-JSON.parse\'d; bundle_parse_us is the outer JSON.parse, ' +
      'not included in us_per_op.',
    peers: {},
    cases: {},
  };
  for (const [name, p] of Object.entries(peers)) {
    out.peers[name] = { package: p.package, version: p.version, crypto: p.crypto };
  }
  for (const key of args.cases) {
    const c = LoadCase(args.shared, key);
    const entry = {
      id: c.id, quote: c.quoteFile, collateral: c.collateralFile, now: c.now,
      expected_status: c.expected.status,
      bundle_parse_us: Measure(() => JSON.parse(c.collateralText), args).us_per_op,
      peers: {},
    };
    for (const [name, p] of Object.entries(peers)) {
      const status = CheckPeer(name, p, c);
      process.stderr.write(`dcap_peers: ${name} ${key}: status ${status} (as expected); timing...\n`);
      const m = Measure(() => p.verify(c.quote, c.collateral, c.now), args);
      entry.peers[name] = { status, ...m };
      process.stderr.write(`dcap_peers: ${name} ${key}: ${m.us_per_op.toFixed(1)} us/op wall, ` +
                           `${m.cpu_us_per_op.toFixed(1)} us/op CPU\n`);
    }
    out.cases[key] = entry;
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

Main().catch((e) => Die(e && e.stack ? e.stack : String(e)));
