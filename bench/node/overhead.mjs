#!/usr/bin/env node
// daira from Node against the host's raw SQLite driver, on one daira-seeded SQLite file, in one run:
//
//   daira:  examples/node/daira.js (koffi over libdaira_c.so): JSON request in, the C call, the JSON record
//           out, JSON.parse, daira_free — what a Node application pays per call;
//   raw:    better-sqlite3 on the same file running daira's own statements (prepared once), rows read
//           with safeIntegers (ids are 64-bit: a Number would corrupt them), JSON array columns parsed,
//           the batch put back in the caller's order — the work a hand-written data layer does.
//
//   DAIRA_C_LIB=build/release/bindings/c/libdaira_c.so node bench/node/overhead.mjs --db /tmp/seed.db \
//       [--rounds 7] [--scale 1] [--cache-kib 2000] [--json out.json]
//
// The file must be seeded by `daira seed` (bench/node/run.sh does it). Ops (inputs rotate through the
// same deterministic sequences on both sides; results are compared on several inputs before timing):
//   user_get        daira_users_get_by_id_into (db.byId: the id as int64, the record into a reused Buffer)
//                                                              raw: SELECT <user columns> FROM users WHERE id = ?
//   users_get_100   daira_users_get_many {ids: 100 ids}       raw: … WHERE id IN (SELECT value FROM json_each(?))
//   author_page_20  daira_posts_list_by_author {author_id, limit: 20}  (a record call, every field)
//                                                              raw: … FROM posts WHERE (author_id = ?) ORDER BY id DESC LIMIT 21
//   user_stats      daira_profiles_stats_by_id_into (db.byId)  raw: the counters of user_profiles JOIN users
//   user_get_json, user_stats_json   the same two through the JSON calls (db.call: daira_users_get {id},
//                   daira_profiles_stats {user_id}), for comparison; raw as above
// Each round runs every op n times on each side (the order of the two sides alternates by round) and
// takes wall time (process.hrtime) and process CPU time (process.cpuUsage: user + system, every thread
// of the process: V8's GC helpers, and daira's own threads, which idle here). The median of the rounds
// is reported per op, with the ratio daira / raw, plus two diagnostics: the JSON.parse of daira's
// result text alone (part of the daira figure) and a no-op call through koffi (daira_version).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { db: '', rounds: 7, scale: 1, cacheKib: 2000, json: '' };
  for (let i = 2; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--db') args.db = value();
    else if (a === '--rounds') args.rounds = Number(value());
    else if (a === '--scale') args.scale = Number(value());
    else if (a === '--cache-kib') args.cacheKib = Number(value());
    else if (a === '--json') args.json = value();
    else if (a === '-h' || a === '--help') {
      console.log('usage: node overhead.mjs --db FILE [--rounds N] [--scale X] [--cache-kib K] [--json OUT]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!args.db) throw new Error('--db FILE is required (a file seeded by `daira seed`)');
  if (!(args.rounds >= 1) || !(args.scale > 0) || !(args.cacheKib > 0)) throw new Error('bad --rounds/--scale/--cache-kib');
  return args;
}

const args = parseArgs(process.argv);
if (!fs.existsSync(args.db)) throw new Error(`no such file: ${args.db}`);
if (!process.env.DAIRA_C_LIB && !process.env.DAIRA_LIB_DIR) {
  process.env.DAIRA_C_LIB = path.resolve(here, '../../build/release/bindings/c/libdaira_c.so');
}

// koffi and better-sqlite3 come from this directory's node_modules; the wrapper is the example's,
// which resolves koffi from its own directory first, then NODE_PATH: put ours there.
process.env.NODE_PATH = [path.join(here, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
require('node:module')._initPaths();
const Database = require('better-sqlite3');
const daira = require(path.resolve(here, '../../examples/node/daira.js'));

// ---- deterministic inputs ----
class XorShift {
  constructor(seed = 0x9e3779b97f4a7c15n) {
    this.x = seed;
  }
  next(n) {
    let x = this.x;
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    this.x = x;
    return Number(x % BigInt(n));
  }
}

const raw = new Database(args.db, { fileMustExist: true });
raw.pragma(`cache_size = -${Math.round(args.cacheKib)}`);
raw.defaultSafeIntegers(true);

const userIds = raw.prepare("SELECT id FROM users WHERE status = 'ACTIVE' ORDER BY id").pluck().all();
const authors = raw
  .prepare('SELECT author_id FROM posts GROUP BY author_id HAVING count(*) > 20 ORDER BY author_id')
  .pluck()
  .all();
if (userIds.length < 200 || authors.length < 16) {
  throw new Error(`${args.db}: too few users (${userIds.length}) or authors with > 20 posts (${authors.length}); seed it first`);
}
const rng = new XorShift();
const lookups = Array.from({ length: 4096 }, () => userIds[rng.next(userIds.length)]);
const batches = Array.from({ length: 256 }, () => {
  const set = new Set();
  while (set.size < 100) set.add(userIds[rng.next(userIds.length)]);
  return [...set];
});
const pageAuthors = Array.from({ length: 256 }, () => authors[rng.next(authors.length)]);
const str = (ids) => ids.map(String);
const lookupStrings = str(lookups);
const batchStrings = batches.map(str);
const pageAuthorStrings = str(pageAuthors);

// ---- raw: daira's statements (copied from src/services; the run checks the results agree) ----
const kUserColumns =
  'id, username, email, phone, avatar_url, is_verified, is_private, status, role, last_login_at, created_at, updated_at, deleted_at';
const kPostColumns =
  'id, author_id, content, media_urls, hashtags, mentions, likes_count, comments_count, status, visibility, created_at, updated_at, deleted_at';
// Two raw variants: `raw` reads integers as BigInt (safeIntegers: exact 64-bit ids, what a correct app
// needs), `rawnum` as JavaScript Numbers (better-sqlite3's default: the fastest, but ids above 2^53 come
// back rounded, so it is a floor, not a usable data layer). Both bind the ids exactly (as BigInt).
function rawOpsFor(safe) {
  const prep = (sql) => raw.prepare(sql).safeIntegers(safe);
  const userGet = prep(`SELECT ${kUserColumns} FROM users WHERE id = ?`);
  const usersMany = prep(`SELECT ${kUserColumns} FROM users WHERE id IN (SELECT value FROM json_each(?))`);
  const authorPage = prep(`SELECT ${kPostColumns} FROM posts WHERE (author_id = ?) ORDER BY id DESC LIMIT ?`);
  const stats = prep(
    'SELECT p.followers_count, p.following_count, p.posts_count, p.videos_count, p.likes_received_count ' +
      "FROM user_profiles p JOIN users u ON u.id = p.user_id WHERE p.user_id = ? AND u.status <> 'DELETED'",
  );
  const key = safe ? (id) => id : (id) => Number(id);
  return {
    user_get: (i) => userGet.get(lookups[i % lookups.length]),
    users_get_100: (i) => {
      const ids = batches[i % batches.length];
      const rows = usersMany.all(`[${batchStrings[i % batches.length].join(',')}]`);
      const byId = new Map();
      for (const r of rows) byId.set(r.id, r);
      const users = [];
      const missing = [];
      for (const id of ids) {
        const u = byId.get(key(id));
        if (u === undefined) missing.push(id);
        else users.push(u);
      }
      return { users, missing };
    },
    author_page_20: (i) => {
      const rows = authorPage.all(pageAuthors[i % pageAuthors.length], 21);
      const hasMore = rows.length > 20;
      if (hasMore) rows.pop();
      for (const r of rows) {
        r.media_urls = JSON.parse(r.media_urls);
        r.hashtags = JSON.parse(r.hashtags);
        r.mentions = JSON.parse(r.mentions);
      }
      return { items: rows, has_more: hasMore };
    },
    user_stats: (i) => stats.get(lookups[i % lookups.length]),
  };
}
const rawOps = rawOpsFor(true);
const rawNumOps = rawOpsFor(false);

// ---- daira through the Node wrapper ----
const url = `sqlite:${path.resolve(args.db)}`;
const db = daira.open(url, { migrate: false });
const dairaOps = {
  user_get: (i) => db.byId('users_get', lookups[i % lookups.length]),
  user_get_json: (i) => db.call('users_get', { id: lookupStrings[i % lookups.length] }),
  users_get_100: (i) => db.call('users_get_many', { ids: batchStrings[i % batches.length] }),
  author_page_20: (i) =>
    db.record('posts_list_by_author', { author_id: pageAuthorStrings[i % pageAuthors.length], limit: 20 }),
  user_stats: (i) => db.byId('profiles_stats', lookups[i % lookups.length]),
  user_stats_json: (i) => db.call('profiles_stats', { user_id: lookupStrings[i % lookups.length] }),
};
for (const ops of [rawOps, rawNumOps]) {
  ops.user_get_json = ops.user_get;
  ops.user_stats_json = ops.user_stats;
}

// ---- agreement before timing ----
function check(op, ok, what) {
  if (!ok) throw new Error(`${op}: daira and raw disagree: ${what}`);
}
for (let i = 0; i < 8; ++i) {
  const u = dairaOps.user_get(i);
  const r = rawOps.user_get(i);
  const rn = rawNumOps.user_get(i);
  check('user_get', u.id === String(r.id) && u.username === r.username && u.email === r.email, `user ${u.id}`);
  check('user_get', rn.username === u.username, `user ${u.id} (numbers)`);
  check('user_get', JSON.stringify(dairaOps.user_get_json(i)) === JSON.stringify(u), `user ${u.id} (JSON call)`);
  const m = dairaOps.users_get_100(i);
  const rm = rawOps.users_get_100(i);
  const rmn = rawNumOps.users_get_100(i);
  check('users_get_100', m.users.map((x) => x.id).join() === rm.users.map((x) => String(x.id)).join(), 'ids/order');
  check('users_get_100', m.users.map((x) => x.username).join() === rmn.users.map((x) => x.username).join(), 'order (numbers)');
  check('users_get_100', m.missing.length === rm.missing.length && rm.missing.length === rmn.missing.length, 'missing');
  const p = dairaOps.author_page_20(i);
  for (const rp of [rawOps.author_page_20(i), rawNumOps.author_page_20(i)]) {
    check('author_page_20', p.items.length === 20 && rp.items.length === 20 && p.has_more === rp.has_more, 'page size / has_more');
    check('author_page_20', p.items.map((x) => x.content).join('|') === rp.items.map((x) => x.content).join('|'), 'posts');
    check('author_page_20', p.items.map((x) => x.hashtags.join()).join('|') === rp.items.map((x) => x.hashtags.join()).join('|'), 'hashtags');
  }
  check('author_page_20', p.items.map((x) => x.id).join() === rawOps.author_page_20(i).items.map((x) => String(x.id)).join(), 'post ids');
  const s = dairaOps.user_stats(i);
  check('user_stats', JSON.stringify(dairaOps.user_stats_json(i)) === JSON.stringify(s), 'stats (JSON call)');
  for (const rs of [rawOps.user_stats(i), rawNumOps.user_stats(i)]) {
    check('user_stats', s.followers === Number(rs.followers_count) && s.following === Number(rs.following_count) &&
      s.posts === Number(rs.posts_count) && s.likes_received === Number(rs.likes_received_count), `stats ${s.user_id}`);
  }
}

// ---- timing ----
const ops = ['user_get', 'users_get_100', 'author_page_20', 'user_stats', 'user_get_json', 'user_stats_json'];
const perRound = {
  user_get: 4000,
  users_get_100: 150,
  author_page_20: 800,
  user_stats: 4000,
  user_get_json: 4000,
  user_stats_json: 4000,
};
for (const op of ops) perRound[op] = Math.max(1, Math.round(perRound[op] * args.scale));
const sides = { daira: dairaOps, raw: rawOps, rawnum: rawNumOps };

function timeLoop(fn, n) {
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < n; ++i) {
    const r = fn(i);
    if (r !== undefined) sink ^= 1;
  }
  const wall = Number(process.hrtime.bigint() - w0) / 1000 / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / n, sink };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Warm every side: statement caches, SQLite's page caches, V8's inline caches.
for (const op of ops) {
  for (const side of Object.keys(sides)) timeLoop(sides[side][op], Math.ceil(perRound[op] / 4));
}

// Each round runs the sides one after another, rotating which goes first.
const order = Object.keys(sides);
const samples = {};
for (const op of ops) samples[op] = Object.fromEntries(order.map((side) => [side, []]));
for (let round = 0; round < args.rounds; ++round) {
  for (const op of ops) {
    for (let k = 0; k < order.length; ++k) {
      const side = order[(round + k) % order.length];
      samples[op][side].push(timeLoop(sides[side][op], perRound[op]));
    }
  }
}

// Diagnostics: JSON.parse of daira's result texts alone, and a no-op call through koffi.
const parseCost = {};
for (const op of ops) {
  const texts = Array.from({ length: 64 }, (_, i) => JSON.stringify(dairaOps[op](i)));
  const rounds = [];
  for (let round = 0; round < args.rounds; ++round) {
    rounds.push(timeLoop((i) => JSON.parse(texts[i % texts.length]), perRound[op]));
  }
  parseCost[op] = { wall: median(rounds.map((r) => r.wall)), bytes: Math.round(median(texts.map((t) => t.length))) };
}
const noop = median(Array.from({ length: args.rounds }, () => timeLoop(() => daira.version(), 20000).wall));

db.close();
raw.close();

// ---- report ----
const load = os.loadavg();
const rawVersion = new Database(':memory:').prepare('SELECT sqlite_version() AS v').get().v;
const results = {};
for (const op of ops) {
  const med = (side, k) => median(samples[op][side].map((x) => x[k]));
  const r = { calls_per_round: perRound[op] };
  for (const side of order) {
    r[`${side}_wall_us`] = med(side, 'wall');
    r[`${side}_cpu_us`] = med(side, 'cpu');
  }
  r.ratio_wall = r.daira_wall_us / r.raw_wall_us;
  r.ratio_cpu = r.daira_cpu_us / r.raw_cpu_us;
  r.ratio_wall_vs_rawnum = r.daira_wall_us / r.rawnum_wall_us;
  r.ratio_cpu_vs_rawnum = r.daira_cpu_us / r.rawnum_cpu_us;
  r.json_parse_us = parseCost[op].wall;
  r.result_bytes = parseCost[op].bytes;
  results[op] = r;
}

const f = (x, w, d = 2) => x.toFixed(d).padStart(w);
console.log(`daira ${daira.version()} via koffi (${path.resolve(process.env.DAIRA_C_LIB || process.env.DAIRA_LIB_DIR)})`);
console.log(`raw: better-sqlite3 ${require('better-sqlite3/package.json').version} (SQLite ${rawVersion}, cache_size -${args.cacheKib} KiB)` +
  `  node ${process.version}  file ${args.db}`);
console.log(`rounds: ${args.rounds} (median)  load average: ${load.map((x) => x.toFixed(2)).join(' ')}`);
for (const [what, k] of [['wall', 'wall'], ['process CPU', 'cpu']]) {
  console.log(`\n${what}, µs per call   daira   raw(BigInt)  ratio   raw(Number)  ratio`);
  for (const op of ops) {
    const r = results[op];
    console.log(`${op.padEnd(18)} ${f(r[`daira_${k}_us`], 9)} ${f(r[`raw_${k}_us`], 12)} ${f(r[`daira_${k}_us`] / r[`raw_${k}_us`], 6)}x` +
      ` ${f(r[`rawnum_${k}_us`], 12)} ${f(r[`daira_${k}_us`] / r[`rawnum_${k}_us`], 6)}x`);
  }
}
console.log('\nJS JSON.parse of daira\'s result text alone (part of daira\'s figure), µs / bytes:');
for (const op of ops) console.log(`${op.padEnd(18)} ${f(results[op].json_parse_us, 9)} ${String(results[op].result_bytes).padStart(8)}`);
console.log(`no-op call through koffi (daira_version): ${noop.toFixed(3)} µs`);
console.log('raw(BigInt): safeIntegers, exact ids; raw(Number): better-sqlite3\'s default, ids above 2^53 rounded (a floor).');

if (args.json) {
  const context = {
    date: new Date().toISOString(),
    node: process.version,
    daira: daira.version(),
    better_sqlite3: require('better-sqlite3/package.json').version,
    raw_sqlite: rawVersion,
    raw_cache_kib: args.cacheKib,
    loadavg: load,
    rounds: args.rounds,
    file: args.db,
    koffi_noop_us: noop,
  };
  fs.writeFileSync(args.json, JSON.stringify({ context, results }, null, 2) + '\n');
}
