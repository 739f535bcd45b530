#include "backends/redis/redis_queue.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <map>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "backends/bus_metrics.h"
#include "backends/redis/redis_breaker_params.h"
#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_reply.h"
#include "backends/redis/redis_script.h"
#include "daira/bus/repeatable_schedule.h"
#include "daira/core/json.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::backends::redis {

namespace {

using std::chrono::milliseconds;

constexpr char kSep = '\x1f';  // error history entries: attempt SEP at SEP worker SEP message

// The prelude, core part — shared by every script: key names, number formatting (a Lua number handed to redis.call would be
// printed with 14 digits), loading a job, wake tokens, and the state moves used by several scripts.
//
// Job layout 3 (docs/bus.md "Job layout 3"): what a job's hot path writes and reads lives in hashes
// keyed by job id, one per kind of value, so enqueue, claim and completion read and write a whole batch
// with one variadic command per hash instead of one command per job:
//   d  id -> the immutable record (MessagePack, packed by the client at enqueue)
//   c  id -> its latest claim: token SEP attempt SEP started µs SEP owner (absent: never claimed)
//   g  id -> group, p  id -> priority, k  id -> idempotency key (each only when not empty / not 0)
//   r  id -> result (only when not empty)
//   t  id -> the lease token, only while ACTIVE (the fence: a move applies only when it matches)
// A job's state is where its id is: in q:<queue>:active (ACTIVE, the score its lease expiry), in
// q:<queue>:COMPLETED / DEAD / CANCELLED (the score its finish time), else WAITING (in ready or delayed).
// job:<id> holds what the rarer moves set: run_at (once it moved from the record's), updated,
// progress, cancel; job:<id>:err the error history.
constexpr std::string_view kPreludeCore = R"lua(
local B = KEYS[1]
local SEP = '\31'
local HD, HC, HG, HP, HK, HR, HT = B .. 'd', B .. 'c', B .. 'g', B .. 'p', B .. 'k', B .. 'r', B .. 't'
local function S(n) return string.format('%d', n) end
-- Key names are built once per script call and queue (building a Lua string costs the server about as
-- much as a small command; a table lookup by an interned string does not).
-- t[key], created empty when missing.
local function slot(t, key)
  local v = t[key]
  if v == nil then
    v = {}
    t[key] = v
  end
  return v
end
local QKC = {}
local function QK(q, s)
  local t = slot(QKC, q)
  local k = t[s]
  if k == nil then
    k = B .. 'q:' .. q .. ':' .. s
    t[s] = k
  end
  return k
end
local function JK(id) return B .. 'job:' .. id end
-- One command per `step` arguments of `t` (variadic writes of a batch: ZADD, ZREM, HSET, HDEL, ...).
local function chunked(cmd, key, t, step)
  for j = 1, #t, step do redis.call(cmd, key, unpack(t, j, math.min(j + step - 1, #t))) end
end
-- A member longer than zset-max-listpack-value (64) kept at score +inf in q:<queue>:active: it keeps the
-- set a skiplist. A listpack sorted set is scanned and every score parsed on each insert, so a claim
-- batch into an active set of a few dozen jobs cost ~15k server instructions per job; a skiplist insert
-- ~2k. Every reader of the set stops below +inf.
local KEEP = '~ not a job: keeps this key a skiplist or a hashtable (a member longer than 64 bytes) ~'
-- The same for the per-id hashes whose values are short (c, t, g, p, k, r): a field '~' with this value
-- (longer than hash-max-listpack-value) keeps each a hashtable, so a batch's reads and writes hash
-- instead of scanning a listpack of up to hash-max-listpack-entries (512) fields per id (a claim of 5,000
-- jobs into a fresh c cost ~3k server instructions per job more). No job has the id '~'. The keeper is
-- the first pair of each batched write (ZADD ... '+inf' KEEP ..., HSET ... '~' KEEP ...), not a command
-- of its own: first, so a new key is created as a skiplist / hashtable before the batch goes in.
-- Ids stay strings in Lua (outbox job ids are 64-bit, beyond a Lua number's 53 bits).
-- The ready member of a job: "<run_at, 17 digits>:<id, zero-padded to 20 digits>" (FIFO by due time,
-- then id, as text). PAD(id): the padding of an id, built once per length and script call.
local PADS = {}
local function PAD(id)
  local n = 20 - #id
  local pad = PADS[n]
  if pad == nil then
    pad = string.rep('0', n)
    PADS[n] = pad
  end
  return pad
end
local function RM(run_at, id) return string.format('%017d:%s%s', run_at, PAD(id), id) end
-- The ready score of a priority given as text: -priority.
local NEG = {}
local function NEGP(p)
  local v = NEG[p]
  if v == nil then
    v = S(-tonumber(p))
    NEG[p] = v
  end
  return v
end
local function ID(member) return (string.match(member, '^0*(.+)', 19)) end
local function IDLESS(a, b) if #a ~= #b then return #a < #b end return a < b end
local function push2(t, a, b)
  t[#t + 1] = a
  t[#t + 1] = b
end
)lua";

// The rest of the prelude: the job's fields, state moves, enqueue. Every script but the claim carries
// it (kPreludeCore first); the claim needs only the core — each `local function` here is a closure the
// server builds on every call of a script that carries it (~1 k instructions each; the whole prelude
// ~40 k per call).
constexpr std::string_view kPreludeJobs = R"lua(
-- The job's immutable record (hash d, packed by the client at enqueue): 1 queue, 2 name, 3 payload,
-- 4 priority, 5 max_attempts, 6 idempotency key, 7 group, 8 correlation id, 9 created µs, 10 run_at µs
-- at enqueue, 11 nonce. Unpacked only on rare paths (cancel, recovery, a failure's metrics); hot paths
-- pass it through or get the queue and group from the client.
local function record(d) return cmsgpack.unpack(d) end  -- one packed array: one table
-- The latest claim (hash c): token, attempt (a number), started, owner; never claimed: '', 0, '', ''.
local function claim_of(id)
  local c = redis.call('HGET', HC, id)
  if not c then return '', 0, '', '' end
  local token, attempt, started, owner = string.match(c, '^([^\31]*)\31([^\31]*)\31([^\31]*)\31(.*)$')
  return token, tonumber(attempt), started, owner
end
local function set_claim(id, token, attempt, started, owner)
  redis.call('HSET', HC, id, token .. SEP .. S(attempt) .. SEP .. started .. SEP .. owner)
end
-- Its due time: job:<id>'s run_at once a move set it, else the record's (`rec` unpacked, or nil).
local function run_at_of(id, rec)
  local r = redis.call('HGET', JK(id), 'run_at')
  if r then return tonumber(r) end
  rec = rec or record(redis.call('HGET', HD, id))
  return tonumber(rec[10])
end
-- Its state and that set's score (lease expiry, finish time; WAITING: false).
local TERMINAL = {'COMPLETED', 'DEAD', 'CANCELLED'}
local function state_of(id, q)
  local s = redis.call('ZSCORE', QK(q, 'active'), id)
  if s then return 'ACTIVE', s end
  for _, st in ipairs(TERMINAL) do
    s = redis.call('ZSCORE', QK(q, st), id)
    if s then return st, s end
  end
  return 'WAITING', false
end
-- {record, claim, job:<id> pairs, result, history, id, state, score} (ParseJob), or false.
local function load(id)
  local d = redis.call('HGET', HD, id)
  if not d then return false end
  local state, score = state_of(id, record(d)[1])
  return {d, redis.call('HGET', HC, id) or '', redis.call('HGETALL', JK(id)), redis.call('HGET', HR, id) or '',
          redis.call('LRANGE', JK(id) .. ':err', 0, -1), id, state, score or '0'}
end
-- The queue and group of a job whose caller named it by id and token alone (queue ''), and its record.
local function queue_of(id, q, group)
  if q ~= '' then return q, group, nil end
  local rec = record(redis.call('HGET', HD, id))
  return rec[1], redis.call('HGET', HG, id) or '', rec
end
local function wake(q, n)
  local w = B .. 'wake:' .. q
  local ones = {}
  for i = 1, math.min(n, 64) do ones[i] = '1' end
  redis.call('LPUSH', w, unpack(ones))
  redis.call('LTRIM', w, 0, 63)
end
-- Batched sorted-set writes: add_index / rem_index collect (score, member) / members per key in `idx`
-- (nil: written at once); flush_index sends one ZADD / ZREM per key and 500 members.
-- Each list keeps its length in t[0] (outside the array part that unpack and `#` read): `#t` is a search.
local function add_index(idx, key, score, member)
  if idx == nil then
    redis.call('ZADD', key, score, member)
    return
  end
  local t = idx.add[key]
  if t == nil then
    t = {[0] = 0}
    idx.add[key] = t
  end
  local n = t[0]
  t[n + 1], t[n + 2] = score, member
  t[0] = n + 2
end
local function rem_index(idx, key, member)
  local t = idx.rem[key]
  if t == nil then
    t = {[0] = 0}
    idx.rem[key] = t
  end
  local n = t[0] + 1
  t[n] = member
  t[0] = n
end
local function new_index() return {add = {}, rem = {}} end
local function flush_index(idx)
  for key, t in pairs(idx.rem) do chunked('ZREM', key, t, 500) end
  for key, t in pairs(idx.add) do chunked('ZADD', key, t, 1000) end
  idx.add, idx.rem = {}, {}
end
-- WAITING again: due at run_at, the claim's token and owner cleared (attempt as given).
local function make_waiting(id, q, run_at, now, attempt, started)
  redis.call('HSET', JK(id), 'run_at', S(run_at), 'updated', S(now))
  set_claim(id, '', attempt, started, '')
  redis.call('ZADD', QK(q, 'delayed'), S(run_at), id)
end
local function leave_active(id, q, group)
  redis.call('ZREM', QK(q, 'active'), id)
  redis.call('HDEL', HT, id)
  if redis.call('HINCRBY', QK(q, 'gactive'), group, -1) <= 0 then redis.call('HDEL', QK(q, 'gactive'), group) end
end
local function add_error(id, attempt, now, worker, message)
  redis.call('RPUSH', JK(id) .. ':err', S(attempt) .. SEP .. S(now) .. SEP .. worker .. SEP .. message)
end
-- The finish time is the score in the state's set (and the last update: a reader takes the latest).
local function finish(id, q, state, now)
  redis.call('ZADD', QK(q, state), S(now), id)
end
-- Appends a pair to a list that keeps its length in t[0].
local function add_pair(t, a, b)
  local n = t[0]
  t[n + 1], t[n + 2] = a, b
  t[0] = n + 2
end
-- An enqueue batch's writes: the per-id hashes' pairs and the index moves, flushed once (flush_batch).
-- `new`: records written by this batch, by id, for a job deduplicated against one (idempotency key).
-- g, p and k start with the keeper pair (written only when a job adds to them).
local function new_batch()
  return {idx = new_index(), d = {[0] = 0}, g = {[0] = 2, '~', KEEP}, p = {[0] = 2, '~', KEEP},
          k = {[0] = 2, '~', KEEP}, new = {}}
end
local function flush_batch(w)
  chunked('HSET', HD, w.d, 1000)
  for key, t in pairs({[HG] = w.g, [HP] = w.p, [HK] = w.k}) do
    if #t > 2 then chunked('HSET', key, t, 1000) end
  end
  flush_index(w.idx)
end
-- One job of an enqueue batch (`now`: the call's time, a number and `now_s` as sent): a[i..i+5] =
-- queue, record (the packed immutable part, `record`), priority, when, group, rare. `when` is the ready
-- member's prefix "<run_at, 17 digits>:" (18 bytes) for a job due at `now`, indexed straight into
-- q:<queue>:ready, else its run_at µs, its score in q:<queue>:delayed (a claim promotes it). `rare` is
-- '' or "id SEP dedup window µs SEP nonce SEP idempotency key" (id '' = assign). Returns id, 1|0
-- (dedup); its writes go to the batch `w` (flush_batch).
-- A given id that exists with the same nonce is a re-sent outbox row (deduplicated); with another nonce
-- the id is taken (an id collision, or ids reserved before an empty restart reset the counter): the job
-- gets a fresh id instead of being dropped.
-- `ids` (optional): {n = last id used, last = last id reserved}, a block of ids reserved by one INCRBY
-- for the batch; a job needing an id beyond it takes one by INCR.
local function enqueue_job(now, now_s, a, i, w, ids)
  local q, when, group, rare = a[i], a[i + 3], a[i + 4], a[i + 5]
  local id, ikey = '', ''
  if rare ~= '' then
    local window, nonce
    id, window, nonce, ikey = string.match(rare, '^([^\31]*)\31([^\31]*)\31([^\31]*)\31(.*)$')
    if id ~= '' then
      local old = redis.call('HGET', HD, id)
      if old then
        if nonce ~= '' and record(old)[11] == nonce then return id, 1 end
        id = ''
      end
    end
    if ikey ~= '' then
      local v = redis.call('HGET', QK(q, 'keys'), ikey)
      if v then
        local sep = string.find(v, ':', 1, true)
        local did = string.sub(v, 1, sep - 1)
        if tonumber(string.sub(v, sep + 1)) > now - tonumber(window) and
            (w.new[did] or redis.call('HEXISTS', HD, did) == 1) then
          return did, 1
        end
      end
    end
  end
  if id == '' then
    if ids and ids.n < ids.last then
      ids.n = ids.n + 1
      id = S(ids.n)
    else
      id = S(redis.call('INCR', B .. 'id'))
    end
  end
  local p = a[i + 2]
  add_pair(w.d, id, a[i + 1])
  if p ~= '0' then add_pair(w.p, id, p) end
  if group ~= '' then add_pair(w.g, id, group) end
  if #when == 18 then
    add_index(w.idx, QK(q, 'ready'), NEGP(p), when .. PAD(id) .. id)
  else
    add_index(w.idx, QK(q, 'delayed'), when, id)
  end
  if ikey ~= '' then
    add_pair(w.k, id, ikey)
    w.new[id] = true
    redis.call('HSET', QK(q, 'keys'), ikey, id .. ':' .. now_s)
  end
  return id, 0
end
local function RK(q, key) return B .. 'rep:' .. q .. ':' .. key end
local function load_repeat(q, key)
  local h = redis.call('HGETALL', RK(q, key))
  if #h == 0 then return false end
  return h
end
)lua";

const RedisScript& Script(std::string_view body) {
  // One RedisScript per body, built once (the body pointers are the static literals below).
  static std::mutex mu;
  static std::map<const char*, std::unique_ptr<RedisScript>>* scripts =
      new std::map<const char*, std::unique_ptr<RedisScript>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& s = (*scripts)[body.data()];
  if (!s) s = std::make_unique<RedisScript>(std::string(kPreludeCore) + std::string(kPreludeJobs) + std::string(body));
  return *s;
}

// The claim script: the core prelude only (it uses no helper of kPreludeJobs).
const RedisScript& ClaimScript();

// ARGV: now, how many jobs have no id given, then entries in request order, each either
//   a job: 6 fields (AppendJobArgs): queue, record, priority, when, group, rare (enqueue_job), or
//   a run: '' (no queue is named so), queue, priority, when, group, n, then the n records of consecutive
//          jobs that share those four fields and have nothing rare (no id given, no idempotency key);
//          each gets the next id of the reserved block — one argument per job instead of six.
// Returns {id, deduplicated}... — or {first id} when every job got a new id from the block reserved
// for the call, in order (a plain bulk enqueue). One HSET per hash and 500 jobs (records, and groups,
// priorities and keys where there are any), one ZADD per index and 500 jobs.
constexpr std::string_view kEnqueue = R"lua(
local DIGIT = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}
local out = {}
local woke = {}
local w = new_batch()
local now = tonumber(ARGV[1])
local need = tonumber(ARGV[2])
local ids = nil
if need > 0 then
  local last = redis.call('INCRBY', B .. 'id', need)
  ids = {n = last - need, last = last}
end
local plain = true
local no, jobs = 0, 0
local i = 3
while i <= #ARGV do
  if ARGV[i] == '' then
    -- A run: what enqueue_job does for a job with nothing rare, its shared values read once.
    local q, p, when, group, n = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 5])
    i = i + 6
    local ready = #when == 18
    local key = QK(q, ready and 'ready' or 'delayed')
    local t = w.idx.add[key]
    if t == nil then
      t = {[0] = 0}
      w.idx.add[key] = t
    end
    local score = ready and NEGP(p) or when
    if ids == nil or ids.n + n > ids.last then return redis.error_reply('ERR a run beyond the reserved ids') end
    local d, nd, nt, last = w.d, w.d[0], t[0], ids.n
    local head = nil  -- the id's digits but the last, formatted once per ten consecutive ids
    local pre, plen = nil, -1  -- the ready member's prefix "<run_at>:<padding>", built once per id length
    for k = i, i + n - 1 do
      last = last + 1
      local unit = last % 10
      if unit == 0 or head == nil then
        local tens = (last - unit) / 10
        head = tens == 0 and '' or S(tens)
      end
      local id = head .. DIGIT[unit + 1]  -- a concatenation costs ~0.7 k instructions, string.format ~2.4 k
      d[nd + 1], d[nd + 2] = id, ARGV[k]
      nd = nd + 2
      if p ~= '0' then add_pair(w.p, id, p) end
      if group ~= '' then add_pair(w.g, id, group) end
      if ready then
        if #id ~= plen then pre, plen = when .. PAD(id), #id end
        t[nt + 1], t[nt + 2] = score, pre .. id
      else
        t[nt + 1], t[nt + 2] = score, id
      end
      nt = nt + 2
    end
    -- The run's answers, one entry for the whole run (its first id and count): expanded only when the
    -- call does not answer with its first id alone.
    out[no + 1] = {last - n + 1, n}
    no = no + 1
    ids.n, d[0], t[0] = last, nd, nt
    woke[q] = (woke[q] or 0) + n
    jobs = jobs + n
    i = i + n
  else
    local id, dup = enqueue_job(now, ARGV[1], ARGV, i, w, ids)
    out[no + 1], out[no + 2] = id, dup
    no = no + 2
    jobs = jobs + 1
    if dup == 0 then
      woke[ARGV[i]] = (woke[ARGV[i]] or 0) + 1
    else
      plain = false
    end
    i = i + 6
  end
end
flush_batch(w)
for q, n in pairs(woke) do wake(q, n) end
if plain and need > 0 and jobs == need then return {ids.last - need + 1} end
local full, nf = {}, 0
for k = 1, no do
  local v = out[k]
  if type(v) == 'table' then
    for x = v[1], v[1] + v[2] - 1 do
      full[nf + 1], full[nf + 2] = S(x), 0
      nf = nf + 2
    end
  else
    nf = nf + 1
    full[nf] = v
  end
end
return full
)lua";

// Repeatables: hash rep:<queue>:<key> (name, payload, schedule, priority, max_attempts, next, last,
// created, updated) and zset rep:<queue> (key by next µs).
// ARGV: queue, key, name, payload, schedule, priority, max_attempts, next µs, now µs. Upserts; the
// pending next is kept when the schedule is unchanged. Returns the stored hash.
constexpr std::string_view kAddRepeat = R"lua(
local q, key = ARGV[1], ARGV[2]
local k = RK(q, key)
local nxt = ARGV[8]
local created = ARGV[9]
local old = redis.call('HMGET', k, 'schedule', 'next', 'created')
if old[1] then
  created = old[3]
  if old[1] == ARGV[5] then nxt = old[2] end
end
redis.call('HSET', k, 'queue', q, 'key', key, 'name', ARGV[3], 'payload', ARGV[4], 'schedule', ARGV[5],
           'priority', ARGV[6], 'max_attempts', ARGV[7], 'next', nxt, 'created', created, 'updated', ARGV[9])
redis.call('ZADD', B .. 'rep:' .. q, nxt, key)
return load_repeat(q, key)
)lua";

// ARGV: queue. Returns the definitions' hashes by key.
constexpr std::string_view kListRepeat = R"lua(
local q = ARGV[1]
local keys = redis.call('ZRANGE', B .. 'rep:' .. q, 0, -1)
table.sort(keys)
local out = {}
for _, key in ipairs(keys) do
  local h = load_repeat(q, key)
  if h then out[#out + 1] = h end
end
return out
)lua";

// ARGV: queue, key. Returns 1 when it existed.
constexpr std::string_view kRemoveRepeat = R"lua(
redis.call('ZREM', B .. 'rep:' .. ARGV[1], ARGV[2])
return redis.call('DEL', RK(ARGV[1], ARGV[2]))
)lua";

// ARGV: queue, key, expected next µs, new next µs, occurrence µs, now µs, then one enqueue_job record
// (6 fields). The claim of the occurrence and its job in one script: 1 when this call enqueued it.
constexpr std::string_view kFireRepeat = R"lua(
local q, key = ARGV[1], ARGV[2]
local k = RK(q, key)
if redis.call('HGET', k, 'next') ~= ARGV[3] then return 0 end
redis.call('HSET', k, 'next', ARGV[4], 'last', ARGV[5], 'updated', ARGV[6])
redis.call('ZADD', B .. 'rep:' .. q, ARGV[4], key)
local w = new_batch()
local id, dup = enqueue_job(tonumber(ARGV[6]), ARGV[6], ARGV, 7, w)
flush_batch(w)
if dup == 0 then wake(q, 1) end
return 1
)lua";

// ARGV: now, queue, lease µs, round robin (0/1), group limit, rate limit (0 = none), rate window µs, then
// one (worker, token, max jobs) triple per requester — several when the client coalesced the claims of
// threads that asked at once (RedisQueue::ClaimTogether; only without round-robin groups). Claims up to
// the sum of the max jobs, each as one claim would (the batch consume), and deals them out in claim
// order: the first requester's max jobs to it, then the next's, so the client splits the answer by the
// same counts. Returns {} when nothing was claimed, else (ParseClaimed) the jobs in claim order as
// their ids joined by ',' (one string), their records as stored (the HMGET reply itself), then — only
// when some job was claimed before — {k, {attempt, progress, result, cancel, run_at, history
// entries...}, ...}, k the job's position (1-based) in the claim order. A first attempt's run_at is its
// record's (only a retry, release, recovery or replay moves it, and those jobs were claimed before).
// Session 16: this Redis hashes every byte of each string made in Lua (13 instructions a byte with the
// copy) and converts each reply element (~0.45 k): the ids as one string instead of a 38-byte member
// each, and no nil per first attempt. The rate limit counts claims in q:<queue>:rate:<window index>.
constexpr std::string_view kClaim = R"lua(
local now = tonumber(ARGV[1])
local q = ARGV[2]
local out = {}
if redis.call('EXISTS', QK(q, 'paused')) == 1 then return out end
-- M, D: the claimed jobs' ids and records (nj each); extras: nx entries (position, leftovers) for jobs
-- claimed before.
local M, D, nj = {}, {}, 0
local extras, nx = {}, 0
local function reply()
  if nj == 0 then return out end
  out[1], out[2] = table.concat(M, ',', 1, nj), D
  if nx > 0 then out[3] = extras end
  return out
end
-- The requesters: worker, token, max jobs, and the claim record of a first attempt (built once per call).
local RW, RT, RN, RF = {}, {}, {}, {}
local max = 0
for i = 8, #ARGV, 3 do
  local r = #RW + 1
  RW[r], RT[r], RN[r] = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  RF[r] = ARGV[i + 1] .. SEP .. '1' .. SEP .. ARGV[1] .. SEP .. ARGV[i]
  max = max + RN[r]
end
local rate_limit = tonumber(ARGV[6])
local rate_key = nil
if rate_limit > 0 then
  local win = tonumber(ARGV[7])
  rate_key = QK(q, 'rate:' .. S(math.floor(now / win)))
end
-- Promote the due delayed jobs: one ZRANGEBYSCORE, one HMGET of their priorities, one ZADD, one ZREM.
local due = redis.call('ZRANGEBYSCORE', QK(q, 'delayed'), '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 1000)
if #due > 0 then
  local ids = {}
  for j = 1, #due, 2 do ids[#ids + 1] = due[j] end
  local prio = redis.call('HMGET', HP, unpack(ids))
  local add = {}
  for j, id in ipairs(ids) do push2(add, NEGP(prio[j] or '0'), RM(tonumber(due[2 * j]), id)) end
  chunked('ZADD', QK(q, 'ready'), add, 1000)
  chunked('ZREM', QK(q, 'delayed'), ids, 500)
end
local exp_s = S(now + tonumber(ARGV[3]))
local akey = QK(q, 'active')
local r, dealt = 1, 0  -- the requester being served and how many jobs it got
-- Claims `members` (taken out of ready by the caller): one HMGET of the records, claims and groups, one
-- HSET of the claims and one of the tokens, one ZADD into active (each with its keeper first: no
-- command of its own) and one HINCRBY per group for the whole list. A job claimed before also gets its
-- earlier attempts' leftovers read (job:<id>, its result, its history). Returns the groups' counts
-- (jobs without a group counted in a local, not a table entry per job).
local function claim(members)
  local n = #members
  local ids = {}
  for j = 1, n do ids[j] = ID(members[j]) end
  local d = redis.call('HMGET', HD, unpack(ids))
  local c = redis.call('HMGET', HC, unpack(ids))
  local g = redis.call('HMGET', HG, unpack(ids))
  -- Filled through explicit counters (`#t` is a search): nw pairs in cw, tw and aw.
  local cw, tw, aw, groups = {'~', KEEP}, {'~', KEEP}, {'+inf', KEEP}, {}
  local nw, plain, gap = 2, 0, false
  local claimed, token, first = RN[r], RT[r], RF[r]
  for j = 1, n do
    if not d[j] then
      gap = true
    else
      if dealt == claimed and RN[r + 1] then
        r, dealt = r + 1, 0
        claimed, token, first = RN[r], RT[r], RF[r]
      end
      dealt = dealt + 1
      local id = ids[j]
      local grp = g[j]
      if grp then
        groups[grp] = (groups[grp] or 0) + 1
      else
        plain = plain + 1
      end
      aw[nw + 1], aw[nw + 2] = exp_s, id
      tw[nw + 1], tw[nw + 2] = id, token
      if c[j] then
        local before = string.match(c[j], '^[^\31]*\31([^\31]*)\31')
        local attempt = S(tonumber(before) + 1)
        cw[nw + 1], cw[nw + 2] = id, token .. SEP .. attempt .. SEP .. ARGV[1] .. SEP .. RW[r]
        local h = redis.call('HMGET', JK(id), 'progress', 'cancel')
        local x = {attempt, h[1] or '', redis.call('HGET', HR, id) or '', h[2] or '',
                   string.sub(members[j], 1, 17)}
        for _, e in ipairs(redis.call('LRANGE', JK(id) .. ':err', 0, -1)) do x[#x + 1] = e end
        extras[nx + 1], extras[nx + 2] = nj + nw / 2, x
        nx = nx + 2
      else
        cw[nw + 1], cw[nw + 2] = id, first
      end
      nw = nw + 2
    end
  end
  -- The reply's lists: the reply tables themselves for a whole claim (no table built per job), else
  -- the claimed jobs appended (round-robin turns, a member without a record).
  if nj == 0 and not gap then
    M, D, nj = ids, d, n
  else
    for j = 1, n do
      if d[j] then
        nj = nj + 1
        M[nj], D[nj] = ids[j], d[j]
      end
    end
  end
  if plain > 0 then groups[''] = (groups[''] or 0) + plain end
  if nw > 2 then
    chunked('HSET', HC, cw, 1000)
    chunked('HSET', HT, tw, 1000)
    chunked('ZADD', akey, aw, 1000)
    for grp, k in pairs(groups) do redis.call('HINCRBY', QK(q, 'gactive'), grp, k) end
  end
  return groups
end
if ARGV[4] ~= '1' then
  -- No groups to take turns: the first `max` ready members are the claim order. (ZRANGE +
  -- ZREMRANGEBYRANK, not ZPOPMIN: ZPOPMIN's reply formats each member's score as a double, which cost
  -- ~4k server instructions per job more; and not ZREM of the members: the rank range removes the same
  -- members — the script runs alone — with no argument per job.)
  local n = max
  if rate_key then n = math.min(n, rate_limit - tonumber(redis.call('GET', rate_key) or '0')) end
  if n <= 0 then return out end
  local top = redis.call('ZRANGE', QK(q, 'ready'), 0, n - 1)
  if #top == 0 then return out end
  redis.call('ZREMRANGEBYRANK', QK(q, 'ready'), 0, S(#top - 1))
  if rate_key then
    redis.call('INCRBY', rate_key, #top)
    redis.call('PEXPIRE', rate_key, S(math.floor(tonumber(ARGV[7]) / 500) + 1000))  -- two windows: only garbage
  end
  claim(top)
  return reply()
end
local limit = tonumber(ARGV[5])
while nj < max do
  if rate_key and tonumber(redis.call('GET', rate_key) or '0') >= rate_limit then break end
  local top = redis.call('ZRANGE', QK(q, 'ready'), 0, 0, 'WITHSCORES')
  if #top == 0 then break end
  local members = redis.call('ZRANGEBYSCORE', QK(q, 'ready'), top[2], top[2])
  local seen = {}
  local best = nil
  local pick = nil
  for _, m in ipairs(members) do
    local g = redis.call('HGET', HG, ID(m)) or ''
    if not seen[g] then
      seen[g] = true
      if limit <= 0 or tonumber(redis.call('HGET', QK(q, 'gactive'), g) or '0') < limit then
        local seq = tonumber(redis.call('HGET', QK(q, 'served'), g) or '0')
        if pick == nil or seq < best then
          pick = m
          best = seq
        end
      end
    end
  end
  if pick == nil then break end
  redis.call('ZREM', QK(q, 'ready'), pick)
  if rate_key then
    redis.call('INCR', rate_key)
    redis.call('PEXPIRE', rate_key, S(math.floor(tonumber(ARGV[7]) / 500) + 1000))  -- two windows: only garbage
  end
  for grp in pairs(claim({pick})) do
    redis.call('HSET', QK(q, 'served'), grp, S(redis.call('INCR', QK(q, 'seq'))))
  end
end
return reply()
)lua";

const RedisScript& ClaimScript() {
  static const RedisScript* script = new RedisScript(std::string(kPreludeCore) + std::string(kClaim));
  return *script;
}

// transition(now, id, token, outcome, text, when, worker, queue, group): the fenced move of one claimed
// job — its lease token (hash t) is `token`, and its lease in q:<queue>:active has not expired.
// Returns 1, or 0 when the lease was lost, or 2 (extend, check) when applied and the job's cancel was
// requested (the 'cancel' field the heartbeat reads). The queue and group are the client's copy of the
// job's (immutable, and the fence proves the client holds this job's claim); a queue '' (a job named by
// id and token alone, as the C ABI's batch completion does) reads both from the hashes.
constexpr std::string_view kTransitionFn = R"lua(
local function transition(now_s, id, token, o, text, when, worker, q, group)
  local now = tonumber(now_s)
  if redis.call('HGET', HT, id) ~= token then return 0 end
  local _, attempt, started = claim_of(id)
  local rec
  q, group, rec = queue_of(id, q, group)
  local exp = redis.call('ZSCORE', QK(q, 'active'), id)
  if not exp or tonumber(exp) <= now then return 0 end
  local cancel = redis.call('HGET', JK(id), 'cancel') == '1'
  if o == 'complete' or o == 'retry' or o == 'dead' then
    local series = 'f'
    if o == 'complete' then series = 'c' end
    metric(q, now, run_at_of(id, rec), tonumber(started) or 0, series)
  end
  if o == 'check' then
    if cancel then return 2 end
    return 1
  end
  if o == 'progress' then
    redis.call('HSET', JK(id), 'progress', text, 'updated', now_s)
    return 1
  end
  if o == 'extend' then
    redis.call('HSET', JK(id), 'updated', now_s)
    redis.call('ZADD', QK(q, 'active'), when, id)
    if cancel then return 2 end
    return 1
  end
  leave_active(id, q, group)
  if cancel and o ~= 'complete' then
    -- The worker stopped after a cancel request: CANCELLED, not retried.
    if o ~= 'release' then add_error(id, attempt, now, worker, text) end
    finish(id, q, 'CANCELLED', now)
    return 1
  end
  if o == 'complete' then
    if text ~= '' then redis.call('HSET', HR, id, text) end
    finish(id, q, 'COMPLETED', now)
  elseif o == 'retry' then
    add_error(id, attempt, now, worker, text)
    make_waiting(id, q, tonumber(when), now, attempt, started)
    wake(q, 1)
  elseif o == 'dead' then
    add_error(id, attempt, now, worker, text)
    finish(id, q, 'DEAD', now)
  elseif o == 'release' then
    make_waiting(id, q, now, now, math.max(0, attempt - 1), started)
    wake(q, 1)
  end
  return 1
end
)lua";

// ARGV: now, id, token, outcome, text, when, worker. Returns transition's answer.
// The run-time metrics of a finished attempt (backends/bus_metrics.h): HINCRBY on the queue's hash
// for the minute it ended, q:<queue>:m:<minute>, fields w<bucket> (due → start) and c<bucket> / f<bucket>
// (start → finish, completed / failed), expiring after kMetricsKeepMinutes. The bucket bounds are the
// C++ ones, compared as integers.
const std::string& MetricsFn() {
  static const std::string* body =
      new std::string("local LB = " + backends::LatencyBoundsLua() + "\n" + R"lua(
local function LBUCKET(us)
  local lo, hi = 0, #LB
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if us >= LB[mid] then lo = mid else hi = mid - 1 end
  end
  return lo
end
-- A minute's hash expires MTTL seconds after a write created one of its fields (the write that created
-- the key did), not after every write: one EXPIRE per new field instead of one per call. MTTL is the
-- retention plus the minute itself, so the hash outlives its last write by the retention, as when every
-- write set it.
local MTTL = ')lua" + std::to_string(backends::kMetricsKeepMinutes * 60 + 60) +
                      R"lua('
local function metric(q, now, run_at, started, series)
  local mk = QK(q, 'm:' .. S(math.floor(now / 60000000)))
  local fresh = false
  if started > 0 then
    if run_at > 0 then
      fresh = redis.call('HINCRBY', mk, 'w' .. S(LBUCKET(math.max(0, started - run_at))), 1) == 1
    end
    fresh = redis.call('HINCRBY', mk, series .. S(LBUCKET(math.max(0, now - started))), 1) == 1 or fresh
  else
    -- claimed before starts were recorded: run time unknown
    fresh = redis.call('HINCRBY', mk, series .. '0', 1) == 1
  end
  if fresh then redis.call('EXPIRE', mk, MTTL) end
end
)lua");
  return *body;
}

const std::string& TransitionScript() {
  static const std::string* body = new std::string(
      MetricsFn() + std::string(kTransitionFn) +
      "return transition(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], "
      "ARGV[9])\n");
  return *body;
}

// ARGV: now, m, then m metric field pairs (wait field or '', run field) numbered 1..m, then records:
//   'C', queue, group, token, n, then n × (id, result, metric pair number) — completions of distinct
//        jobs of one queue, group and claim token (the client's copies: the fence proves them);
//   'c', queue, group, token, metric pair number, n, then n ids — the same for completions whose result
//        is empty and whose metric pair is the same (one argument per job instead of three);
//   'T', id, token, outcome, text, when, worker, queue, group — any other move, through transition().
// Returns the positions (1-based, in the order of the records' jobs) of the jobs not moved — a lost
// lease or an unknown job (the batched completion: every job fenced on its own, all in one script); an
// empty array when every job moved (session 16: no answer per job). A 'C' record is fenced and written
// for the whole run — one HMGET of the lease tokens (hash t); one probe for any lapsed lease in the
// queue's active set (ZRANGEBYSCORE ... LIMIT 0 1), and only when there is one a ZMSCORE of the run's
// leases; one ZREM from active, one HDEL of the tokens, one ZADD into COMPLETED, one HSET of the
// non-empty results, one HINCRBY for the group and per metric field — with no command per job. The
// client sends a job named twice in the batch, or named by id and token alone, as 'T' records in
// request order.
const RedisScript& TransitionManyScript() {
  // The core prelude, then the batch. transition() and the helpers it needs (kPreludeJobs, the metric
  // functions) are defined inside load_transition(), run only for a batch that holds a 'T' record: each
  // `local function` is a closure the server builds whenever the code defining it runs (~1 k
  // instructions each), and a batch of completions calls none of them.
  static const RedisScript* script = new RedisScript(
      std::string(kPreludeCore) + "local MTTL = '" + std::to_string(backends::kMetricsKeepMinutes * 60 + 60) +
      "'\nlocal function load_transition()\n" + std::string(kPreludeJobs) + MetricsFn() +
      std::string(kTransitionFn) + "return transition\nend\n" + R"lua(
local now_s = ARGV[1]
local now = tonumber(now_s)
local m = tonumber(ARGV[2])
local WF, CF = {}, {}
for k = 1, m do
  WF[S(k)] = ARGV[1 + 2 * k]
  CF[S(k)] = ARGV[2 + 2 * k]
end
local transition = nil
local no = 0  -- the jobs answered so far
local out, nf = {}, 0  -- the positions of the jobs not moved
local results, nr = {'~', KEEP}, 2  -- the keeper first (keeps r a hashtable)
-- Per queue, what its runs of completions write, sent once per queue after the records: one probe for
-- a lapsed lease in its active set, the ids out of active and t, (finish time, id) into COMPLETED, the
-- count per group and per metric field. Tables are filled through explicit counters (`#t` is a search).
local QW = {}
local function qw(q)
  local w = QW[q]
  if w == nil then
    local akey = QK(q, 'active')
    w = {akey = akey, lapsed = #redis.call('ZRANGEBYSCORE', akey, '-inf', now_s, 'LIMIT', 0, 1) > 0,
         rem = {}, nrem = 0, done = {}, groups = {}, metrics = {}}
    QW[q] = w
  end
  return w
end
-- Completes a run of n jobs of queue q, group grp and claim token `token` whose ids are ARGV[a],
-- ARGV[a + step], ...: with step 3 each id is followed by its result and its metric pair's number ('C'),
-- with step 1 every job has an empty result and the metric pair x ('c').
local function complete(q, grp, token, a, step, n, x)
  local w = qw(q)
  local akey, rem, done, metrics, lapsed = w.akey, w.rem, w.done, w.metrics, w.lapsed
  local before, nrem = w.nrem, w.nrem
  for j = 0, n - 1, 1000 do
    local ids, nids = {}, 0
    for b = a + step * j, a + step * math.min(j + 999, n - 1), step do
      nids = nids + 1
      ids[nids] = ARGV[b]
    end
    local t = redis.call('HMGET', HT, unpack(ids))
    local e = lapsed and redis.call('ZMSCORE', akey, unpack(ids))
    local b = a + step * j
    for k = 1, nids do
      no = no + 1
      if t[k] == token and (not e or (e[k] and tonumber(e[k]) > now)) then
        local id = ids[k]
        nrem = nrem + 1
        rem[nrem] = id
        done[2 * nrem - 1], done[2 * nrem] = now_s, id
        if step == 3 then
          local res = ARGV[b + 1]
          if res ~= '' then
            results[nr + 1], results[nr + 2] = id, res
            nr = nr + 2
          end
          local y = ARGV[b + 2]
          local wf, cf = WF[y], CF[y]
          if wf ~= '' then metrics[wf] = (metrics[wf] or 0) + 1 end
          metrics[cf] = (metrics[cf] or 0) + 1
        end
      else
        nf = nf + 1
        out[nf] = no
      end
      b = b + step
    end
  end
  w.nrem = nrem
  local ok = nrem - before
  if ok > 0 then
    w.groups[grp] = (w.groups[grp] or 0) + ok
    if step == 1 then
      local wf, cf = WF[x], CF[x]
      if wf ~= '' then metrics[wf] = (metrics[wf] or 0) + ok end
      metrics[cf] = (metrics[cf] or 0) + ok
    end
  end
end
local i = 3 + 2 * m
while i <= #ARGV do
  local kind = ARGV[i]
  if kind == 'C' then
    local n = tonumber(ARGV[i + 4])
    complete(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], i + 5, 3, n, nil)
    i = i + 5 + 3 * n
  elseif kind == 'c' then
    local n = tonumber(ARGV[i + 5])
    complete(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], i + 6, 1, n, ARGV[i + 4])
    i = i + 6 + n
  else
    if transition == nil then transition = load_transition() end
    no = no + 1
    if transition(now_s, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6],
                  ARGV[i + 7], ARGV[i + 8]) == 0 then
      nf = nf + 1
      out[nf] = no
    end
    i = i + 9
  end
end
local minute = S(math.floor(now / 60000000))  -- one minute per batch: its `now`
for q, w in pairs(QW) do
  if w.nrem > 0 then
    chunked('ZREM', w.akey, w.rem, 500)
    chunked('HDEL', HT, w.rem, 500)
    chunked('ZADD', QK(q, 'COMPLETED'), w.done, 1000)
    local gkey = QK(q, 'gactive')
    for grp, c in pairs(w.groups) do
      if redis.call('HINCRBY', gkey, grp, -c) <= 0 then redis.call('HDEL', gkey, grp) end
    end
    local mk = QK(q, 'm:' .. minute)
    local fresh = false
    for field, c in pairs(w.metrics) do
      if redis.call('HINCRBY', mk, field, c) == c then fresh = true end
    end
    if fresh then redis.call('EXPIRE', mk, MTTL) end
  end
end
if nr > 2 then chunked('HSET', HR, results, 1000) end
return out
)lua");
  return *script;
}

// ARGV: now, queue. Returns how many expired leases were recovered.
constexpr std::string_view kRecover = R"lua(
local now = tonumber(ARGV[1])
local q = ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', QK(q, 'active'), '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(ids) do
  local _, attempt, started, owner = claim_of(id)
  local d = redis.call('HGET', HD, id)
  leave_active(id, q, redis.call('HGET', HG, id) or '')
  add_error(id, attempt, now, owner, 'lease expired')
  if redis.call('HGET', JK(id), 'cancel') == '1' then
    finish(id, q, 'CANCELLED', now)  -- its cancel was requested: not rerun
  elseif not d or attempt >= tonumber(record(d)[5]) then
    finish(id, q, 'DEAD', now)
  else
    make_waiting(id, q, now, now, attempt, started)
  end
end
if #ids > 0 then wake(q, #ids) end
return #ids
)lua";

// ARGV: now, id. Returns 'ok', 'missing', or the job's state.
constexpr std::string_view kCancel = R"lua(
local now = tonumber(ARGV[1])
local id = ARGV[2]
local d = redis.call('HGET', HD, id)
if not d then return 'missing' end
local rec = record(d)
local q = rec[1]
local state = state_of(id, q)
if state == 'ACTIVE' then
  redis.call('HSET', JK(id), 'cancel', '1', 'updated', ARGV[1])  -- the cooperative signal
  return 'ok'
end
if state ~= 'WAITING' then return state end
redis.call('ZREM', QK(q, 'delayed'), id)
redis.call('ZREM', QK(q, 'ready'), RM(run_at_of(id, rec), id))
finish(id, q, 'CANCELLED', now)
return 'ok'
)lua";

constexpr std::string_view kGet = R"lua(
return load(ARGV[1])
)lua";

// ARGV: now, queue. Returns {waiting, delayed, active, completed, dead, cancelled, paused}.
constexpr std::string_view kCounts = R"lua(
local q = ARGV[2]
local due = redis.call('ZCOUNT', QK(q, 'delayed'), '-inf', ARGV[1])
local all = redis.call('ZCARD', QK(q, 'delayed'))
return {redis.call('ZCARD', QK(q, 'ready')) + due, all - due, redis.call('ZCOUNT', QK(q, 'active'), '-inf', '(+inf'),
        redis.call('ZCARD', QK(q, 'COMPLETED')), redis.call('ZCARD', QK(q, 'DEAD')),
        redis.call('ZCARD', QK(q, 'CANCELLED')), redis.call('EXISTS', QK(q, 'paused'))}
)lua";

// ARGV: queue, first minute, last minute. Returns the metric fields summed over those minutes' hashes
// (field, count, field, count, ...).
constexpr std::string_view kMetrics = R"lua(
local acc = {}
local names = {}
for m = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  local h = redis.call('HGETALL', QK(ARGV[1], 'm:' .. S(m)))
  for i = 1, #h, 2 do
    if acc[h[i]] == nil then
      acc[h[i]] = 0
      names[#names + 1] = h[i]
    end
    acc[h[i]] = acc[h[i]] + tonumber(h[i + 1])
  end
end
local out = {}
for _, k in ipairs(names) do
  out[#out + 1] = k
  out[#out + 1] = S(acc[k])
end
return out
)lua";

// ARGV: queue, state, limit. Returns the jobs, lowest id first.
constexpr std::string_view kList = R"lua(
local q, state, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ids = {}
if state == 'WAITING' then
  for _, m in ipairs(redis.call('ZRANGE', QK(q, 'ready'), 0, -1)) do ids[#ids + 1] = ID(m) end
  for _, id in ipairs(redis.call('ZRANGE', QK(q, 'delayed'), 0, -1)) do ids[#ids + 1] = id end
else
  local key = state == 'ACTIVE' and QK(q, 'active') or QK(q, state)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', '(+inf')) do ids[#ids + 1] = id end
end
table.sort(ids, IDLESS)
local out = {}
for i = 1, math.min(limit, #ids) do out[#out + 1] = load(ids[i]) end
return out
)lua";

// ARGV: now, queue, ids... (none: every dead job). Returns how many moved.
constexpr std::string_view kReplay = R"lua(
local now = tonumber(ARGV[1])
local q = ARGV[2]
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call('ZRANGE', QK(q, 'DEAD'), 0, -1)
end
local n = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', QK(q, 'DEAD'), id) == 1 then
    local _, _, started = claim_of(id)
    make_waiting(id, q, now, now, 0, started)
    n = n + 1
  end
end
if n > 0 then wake(q, n) end
return n
)lua";

// ARGV: now, queue, retain completed µs, retain dead µs. Returns how many jobs were deleted.
// Pruned in bulk, per 500 jobs: one HMGET of their idempotency keys, one DEL of their keys, one ZREM,
// one HDEL per per-id hash.
constexpr std::string_view kClean = R"lua(
local now = tonumber(ARGV[1])
local q = ARGV[2]
local n = 0
local function sweep(state, retain)
  local ids = redis.call('ZRANGEBYSCORE', QK(q, state), '-inf', S(now - retain), 'LIMIT', 0, 5000)
  for j = 1, #ids, 500 do
    local chunk = {unpack(ids, j, math.min(j + 499, #ids))}
    local ikeys = redis.call('HMGET', HK, unpack(chunk))
    local keys = {}
    for m, id in ipairs(chunk) do
      local ikey = ikeys[m]
      if ikey then
        local v = redis.call('HGET', QK(q, 'keys'), ikey)
        if v and string.sub(v, 1, #id + 1) == id .. ':' then redis.call('HDEL', QK(q, 'keys'), ikey) end
      end
      keys[#keys + 1] = JK(id)
      keys[#keys + 1] = JK(id) .. ':err'
    end
    redis.call('DEL', unpack(keys))
    redis.call('ZREM', QK(q, state), unpack(chunk))
    for _, h in ipairs({HD, HC, HG, HP, HK, HR, HT}) do redis.call('HDEL', h, unpack(chunk)) end
  end
  n = n + #ids
end
sweep('COMPLETED', tonumber(ARGV[3]))
sweep('CANCELLED', tonumber(ARGV[3]))
sweep('DEAD', tonumber(ARGV[4]))
return n
)lua";

int64_t Us(Clock::TimePoint t) { return ToUnixMicros(t); }

// A random tag telling a re-sent outbox row (same tag) from another job that got the same id.
std::string Nonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() >> 1);
}
int64_t UsOf(milliseconds d) { return d.count() * 1000; }

absl::Status Unexpected(std::string_view op, const RedisReply& r) {
  return absl::InternalError("bus: " + std::string(op) + ": unexpected reply from Redis (type " +
                             std::to_string(static_cast<int>(r.type)) + ")");
}

int64_t ToInt(const std::string& s) { return s.empty() ? 0 : std::strtoll(s.c_str(), nullptr, 10); }

bus::JobState StateOf(const std::string& s) {
  if (s == "ACTIVE") return bus::JobState::kActive;
  if (s == "COMPLETED") return bus::JobState::kCompleted;
  if (s == "DEAD") return bus::JobState::kDead;
  if (s == "CANCELLED") return bus::JobState::kCancelled;
  return bus::JobState::kWaiting;
}

Clock::TimePoint TimeOf(const std::string& s) {
  const int64_t us = ToInt(s);
  return us == 0 ? Clock::TimePoint{} : FromUnixMicros(us);
}

// One error history entry (attempt SEP at SEP worker SEP message) appended to the job's errors.
void AppendError(bus::Job& j, std::string_view entry) {
  std::vector<std::string> parts = absl::StrSplit(ToAbsl(entry), absl::MaxSplits(kSep, 3));
  parts.resize(4);
  j.errors.push_back({.attempt = static_cast<int>(ToInt(parts[0])),
                      .at = TimeOf(parts[1]),
                      .worker = std::move(parts[2]),
                      .message = std::move(parts[3])});
}

// MessagePack, the subset the job records use: an array of strings (nil / false: empty). The record
// is packed here at enqueue and read back from the claim script's cmsgpack reply and from HGETALL.
void PackArrayHeader(std::string& out, uint32_t n) {
  if (n < 16) {
    out.push_back(static_cast<char>(0x90 | n));
  } else {
    out.push_back(static_cast<char>(0xdc));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  }
}
void PackStr(std::string& out, std::string_view v) {
  const size_t n = v.size();
  if (n < 32) {
    out.push_back(static_cast<char>(0xa0 | n));
  } else if (n < 256) {
    out.push_back(static_cast<char>(0xd9));
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0xda));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0xdb));
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(v);
}

class PackReader {
 public:
  explicit PackReader(std::string_view in) : in_(in) {}
  // An array header (fixarray, array16, array32).
  bool Array(uint32_t& count) {
    if (pos_ >= in_.size()) return false;
    const auto head = static_cast<unsigned char>(in_[pos_++]);
    if ((head & 0xf0) == 0x90) {
      count = head & 0x0f;
      return true;
    }
    return (head == 0xdc && Take(2, count)) || (head == 0xdd && Take(4, count));
  }
  // A string (fixstr, str8/16/32); nil or false read as empty (a field the hash lacks).
  bool Str(std::string_view& v) {
    if (pos_ >= in_.size()) return false;
    const auto b = static_cast<unsigned char>(in_[pos_++]);
    uint32_t len = 0;
    if ((b & 0xe0) == 0xa0) {
      len = b & 0x1f;
    } else if (b == 0xc0 || b == 0xc2) {
      len = 0;
    } else if (!((b == 0xd9 && Take(1, len)) || (b == 0xda && Take(2, len)) || (b == 0xdb && Take(4, len)))) {
      return false;
    }
    if (in_.size() - pos_ < len) return false;
    v = in_.substr(pos_, len);
    pos_ += len;
    return true;
  }

 private:
  bool Take(size_t n, uint32_t& out) {  // a big-endian unsigned of n bytes
    if (in_.size() - pos_ < n) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k) out = (out << 8) | static_cast<unsigned char>(in_[pos_++]);
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

int64_t Num(std::string_view v) {
  int64_t x = 0;
  std::from_chars(v.data(), v.data() + v.size(), x);
  return x;
}
Clock::TimePoint TimeOfView(std::string_view v) {
  const int64_t us = Num(v);
  return us == 0 ? Clock::TimePoint{} : FromUnixMicros(us);
}

// The job record (hash field 'd'), written once at enqueue: its immutable fields in this order.
constexpr uint32_t kRecordFields = 11;
std::string PackRecord(const bus::EnqueueRequest& r, int max_attempts, std::string_view correlation_id,
                       int64_t created, int64_t run_at, std::string_view nonce) {
  std::string out;
  out.reserve(64 + r.queue.size() + r.name.size() + r.payload.size() + r.idempotency_key.size() +
              r.group_key.size() + correlation_id.size() + nonce.size());
  PackArrayHeader(out, kRecordFields);
  PackStr(out, r.queue);
  PackStr(out, r.name);
  PackStr(out, r.payload);
  // The numbers formatted on the stack: a µs time has 16 digits, past std::string's inline buffer, and
  // std::to_string allocated twice per job for them (client allocations, session 16).
  char buf[24];
  auto number = [&](int64_t v) {
    return std::string_view(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr - buf);
  };
  PackStr(out, number(r.priority));
  PackStr(out, number(max_attempts));
  PackStr(out, r.idempotency_key);
  PackStr(out, r.group_key);
  PackStr(out, correlation_id);
  PackStr(out, number(created));
  PackStr(out, number(run_at));
  PackStr(out, nonce);
  return out;
}
bool ParseRecord(std::string_view d, bus::Job& j) {
  PackReader in(d);
  uint32_t n = 0;
  std::string_view f[kRecordFields];
  if (!in.Array(n) || n < kRecordFields) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view v;
    if (!in.Str(v)) return false;
    if (i < kRecordFields) f[i] = v;
  }
  // The record's texts live and die together: one allocation for all of them.
  SharedText::Pack({{f[0], &j.queue},
                    {f[1], &j.name},
                    {f[2], &j.payload},
                    {f[5], &j.idempotency_key},
                    {f[6], &j.group_key},
                    {f[7], &j.correlation_id}});
  j.priority = static_cast<int>(Num(f[3]));
  j.max_attempts = static_cast<int>(Num(f[4]));
  j.created_at = TimeOfView(f[8]);
  j.run_at = TimeOfView(f[9]);  // at enqueue; a later move's run_at (job:<id>) overrides it
  return true;
}

// What a job's times and lease read as once its hash fields are in: the last update is the latest of
// the stored times (a claim and a completion do not rewrite 'updated'), and the lease exists only while
// ACTIVE (leaving ACTIVE does not clear the stored token and expiry).
void SettleJob(bus::Job& j) {
  j.updated_at = std::max({j.updated_at, j.created_at, j.started_at, j.finished_at});
  if (j.state != bus::JobState::kActive) {
    j.lease_token = 0;
    j.lease_expires_at = Clock::TimePoint{};
  }
}

// A claim record (hash c): token SEP attempt SEP started µs SEP owner.
void ApplyClaimRecord(std::string_view c, bus::Job& j) {
  if (c.empty()) return;
  std::string_view f[4];
  for (int k = 0; k < 3; ++k) {
    const size_t sep = c.find(kSep);
    if (sep == std::string_view::npos) return;
    f[k] = c.substr(0, sep);
    c.remove_prefix(sep + 1);
  }
  f[3] = c;
  j.lease_token = Num(f[0]);
  j.attempt = static_cast<int>(Num(f[1]));
  j.started_at = TimeOfView(f[2]);
  j.lease_owner = f[3];
}

// load(): {record, claim record, job:<id> pairs, result, history, id, state, score (lease expiry when
// ACTIVE, finish time when finished)} → Job.
absl::StatusOr<bus::Job> ParseJob(std::string_view op, const RedisReply& r) {
  if (r.type != RedisReply::Type::kArray || r.elements.size() != 8) return Unexpected(op, r);
  const auto& e = r.elements;
  bus::Job j;
  if (!ParseRecord(e[0].str, j))
    return absl::InternalError("bus: " + std::string(op) + ": malformed job record");
  ApplyClaimRecord(e[1].str, j);
  const auto& h = e[2].elements;
  // clang-format off
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    const std::string& k = h[i].str;
    const std::string& v = h[i + 1].str;
    if (k == "run_at") j.run_at = TimeOf(v);
    else if (k == "updated") j.updated_at = TimeOf(v);
    else if (k == "progress") j.progress = v;
    else if (k == "cancel") j.cancel_requested = v == "1";
  }
  // clang-format on
  j.result = e[3].str;
  for (const RedisReply& x : e[4].elements) AppendError(j, x.str);
  j.id = ToInt(e[5].str);
  j.state = StateOf(e[6].str);
  const auto score = static_cast<int64_t>(std::strtod(e[7].str.c_str(), nullptr));
  if (j.state == bus::JobState::kActive) {
    j.lease_expires_at = FromUnixMicros(score);
  } else if (j.state != bus::JobState::kWaiting) {
    j.finished_at = FromUnixMicros(score);
  }
  SettleJob(j);
  return j;
}

// What a claim sets on every job it returns (the claim script sends back only the stored fields).
struct Claim {
  std::string_view worker;
  int64_t token = 0;
  Clock::TimePoint now;
  Clock::TimePoint lease_expires_at;
};

// One job as the claim script returns it: its id, its record (its run_at a first attempt's), and (null
// for a first attempt) {attempt, progress, result, cancel, run_at (17 digits), history entries...}.
absl::StatusOr<bus::Job> ParseClaimed(std::string_view id, const RedisReply& d, const RedisReply* extra,
                                      const Claim& c) {
  auto bad = [] { return absl::InternalError("bus: next: malformed job from the claim script"); };
  bus::Job j;
  if (id.empty() || d.type != RedisReply::Type::kString || !ParseRecord(d.str, j)) return bad();
  j.id = Num(id);
  j.state = bus::JobState::kActive;
  j.attempt = 1;
  if (extra != nullptr) {
    if (extra->type != RedisReply::Type::kArray) return bad();
    const auto& x = extra->elements;
    if (x.size() < 5) return bad();
    j.attempt = static_cast<int>(ToInt(x[0].str));
    j.progress = x[1].str;
    j.result = x[2].str;
    j.cancel_requested = x[3].str == "1";
    j.run_at = TimeOfView(x[4].str);
    for (size_t k = 5; k < x.size(); ++k) AppendError(j, x[k].str);
  }
  j.lease_owner = c.worker;
  j.lease_expires_at = c.lease_expires_at;
  j.lease_token = c.token;
  j.updated_at = c.now;
  j.started_at = c.now;
  return j;
}

// A repeatable's HGETALL pairs → Repeatable.
absl::StatusOr<bus::Repeatable> ParseRepeatable(std::string_view op, const RedisReply& r) {
  if (r.type != RedisReply::Type::kArray) return Unexpected(op, r);
  std::map<std::string, std::string, std::less<>> f;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) f[r.elements[i].str] = r.elements[i + 1].str;
  bus::Repeatable d;
  d.queue = f["queue"];
  d.key = f["key"];
  d.name = f["name"];
  d.payload = f["payload"];
  DAIRA_RETURN_IF_ERROR(bus::internal::ParseScheduleText(f["schedule"], d));
  d.priority = static_cast<int>(ToInt(f["priority"]));
  d.max_attempts = static_cast<int>(ToInt(f["max_attempts"]));
  d.next_run_at = TimeOf(f["next"]);
  d.last_run_at = TimeOf(f["last"]);
  d.created_at = TimeOf(f["created"]);
  d.updated_at = TimeOf(f["updated"]);
  return d;
}

std::string_view OutcomeName(int outcome) {
  static constexpr std::array<std::string_view, 7> kNames = {"complete", "retry",  "dead", "release",
                                                             "progress", "extend", "check"};
  return kNames.at(static_cast<size_t>(outcome));
}

}  // namespace

absl::StatusOr<std::unique_ptr<bus::Queue>> RedisQueue::Open(std::string_view text, bus::BusOptions options,
                                                             store::Database* db) {
  constexpr std::string_view kOp = "bus: open";
  for (const auto& q : options.queues) DAIRA_RETURN_IF_ERROR(bus::ValidateQueueSettings(q));
  std::vector<std::string_view> extra = {"allow_eviction", "relay_interval_ms", "relay_batch"};
  extra.insert(extra.end(), std::begin(kBreakerParams), std::end(kBreakerParams));
  auto named = [&](const absl::Status& s) {
    return absl::Status(s.code(), "bus: open: " + std::string(s.message()));
  };
  absl::StatusOr<RedisUrl> parsed = RedisUrl::Parse(text, extra);
  if (!parsed.ok()) return named(parsed.status());
  RedisUrl url = *std::move(parsed);
  bool allow_eviction = false;
  if (auto it = url.params.find("allow_eviction"); it != url.params.end()) {
    if (it->second != "0" && it->second != "1") {
      return InvalidField(kOp, "allow_eviction", "must be 0 or 1 (got '" + it->second + "')");
    }
    allow_eviction = it->second == "1";
  }
  auto int_param = [&](std::string_view name, int64_t lo, int64_t hi,
                       int64_t fallback) -> absl::StatusOr<int64_t> {
    auto it = url.params.find(name);
    if (it == url.params.end()) return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v < lo || v > hi) {
      return InvalidField(kOp, name,
                          "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                              "] (got '" + it->second + "')");
    }
    return static_cast<int64_t>(v);
  };
  DAIRA_ASSIGN_OR_RETURN(int64_t relay_interval, int_param("relay_interval_ms", 0, 3600000, 1000));
  DAIRA_ASSIGN_OR_RETURN(int64_t relay_batch, int_param("relay_batch", 1, 10000, 500));
  resilience::CircuitBreakerOptions breaker{.name = "redis bus", .clock = options.clock};
  for (const auto& [name, value] : url.params) DAIRA_RETURN_IF_ERROR(ApplyBreakerParam(kOp, name, value, breaker).status());
  absl::StatusOr<std::unique_ptr<RedisPool>> opened = RedisPool::Open(url);
  if (!opened.ok()) return named(opened.status());
  std::unique_ptr<RedisPool> pool = *std::move(opened);
  {
    // Jobs are state, not cache: a server allowed to evict keys would drop jobs silently.
    DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease conn, pool->Acquire());
    DAIRA_ASSIGN_OR_RETURN(RedisReply info, conn->Command({"INFO", "memory"}));
    std::string policy;
    for (absl::string_view line : absl::StrSplit(info.str, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&line, "maxmemory_policy:")) policy = std::string(line);
    }
    if (!policy.empty() && policy != "noeviction" && !allow_eviction) {
      return absl::FailedPreconditionError(
          "bus: open: " + url.Redacted() + " has maxmemory-policy '" + policy +
          "', which may evict job keys: set maxmemory-policy noeviction on the server, or add "
          "?allow_eviction=1 to the bus URL to accept losing jobs under memory pressure");
    }
    // Layouts 1 (keys under "<prefix>{bus}:", one hash field per job field) and 2 ("<prefix>{bus2}:",
    // one hash per job) are not read by this version, which keeps its keys under "<prefix>{bus3}:":
    // refuse to start over waiting, active or dead jobs or repeatables of an earlier layout rather than
    // leave them unseen (docs/bus.md "Layout change").
    int64_t last_id = 0;
    for (const auto& [layout, tag] : {std::pair<int, const char*>{1, "{bus}:"}, {2, "{bus2}:"}}) {
      std::vector<std::string> old = {"EXISTS"};
      const std::string legacy = url.prefix + tag;
      for (const auto& q : options.queues) {
        for (const char* part : {":ready", ":delayed", ":active", ":DEAD"})
          old.push_back(legacy + "q:" + q.name + part);
        old.push_back(legacy + "rep:" + q.name);
      }
      DAIRA_ASSIGN_OR_RETURN(RedisReply left, conn->Command(old));
      if (left.IsError()) return ErrorReplyStatus("bus: open", left);
      if (left.integer > 0) {
        return absl::FailedPreconditionError(
            "bus: open: " + url.Redacted() + " holds waiting, active or dead jobs or repeatables under '" +
            legacy + "', in job layout " + std::to_string(layout) + " (" + std::to_string(left.integer) +
            " queue keys), which this version does not read: finish them with the previous version "
            "(or delete the keys matching '" +
            legacy + "*'), then start this one (docs/bus.md \"Layout change\")");
      }
      DAIRA_ASSIGN_OR_RETURN(RedisReply last, conn->Command({"GET", legacy + "id"}));
      if (last.type == RedisReply::Type::kString) last_id = std::max(last_id, ToInt(last.str));
    }
    // Ids keep increasing across the change: layout 3's counter starts where the earlier ones stopped.
    if (last_id > 0) {
      DAIRA_ASSIGN_OR_RETURN(RedisReply set,
                             conn->Command({"SET", url.prefix + "{bus3}:id", std::to_string(last_id), "NX"}));
      if (set.IsError()) return ErrorReplyStatus("bus: open", set);
    }
  }
  RedisUrl blocking_url = url;
  blocking_url.pool_size = std::max(url.pool_size, 64);
  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<RedisPool> blocking, RedisPool::Open(blocking_url));
  auto queue =
      std::unique_ptr<RedisQueue>(new RedisQueue(std::move(options), std::move(pool), std::move(blocking)));
  queue->db_ = db;
  queue->breaker_ = std::make_unique<resilience::CircuitBreaker>(std::move(breaker));
  queue->relay_interval_ = milliseconds(relay_interval);
  queue->relay_batch_ = static_cast<int>(relay_batch);
  if (db != nullptr && relay_interval > 0)
    queue->relay_thread_ = std::thread([q = queue.get()] { q->RelayLoop(); });
  return std::unique_ptr<bus::Queue>(std::move(queue));
}

RedisQueue::~RedisQueue() { StopRelay(); }

void RedisQueue::OnClose() { StopRelay(); }

void RedisQueue::StopRelay() {
  {
    std::lock_guard<std::mutex> lock(relay_mu_);
    relay_stop_ = true;
  }
  relay_cv_.notify_all();
  if (relay_thread_.joinable()) relay_thread_.join();
}

void RedisQueue::RelayLoop() {
  bool failing = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(relay_mu_);
      relay_cv_.wait_for(lock, relay_interval_, [&] { return relay_stop_; });
      if (relay_stop_) return;
    }
    RequestContext ctx({.correlation_id = "", .caller = "bus:relay", .timeout = milliseconds(0)});
    for (int round = 0; round < 100; ++round) {
      absl::StatusOr<int64_t> n = DoRelayOutbox(ctx, relay_batch_);
      if (!n.ok()) {
        if (!failing) {
          Log(LogLevel::kWarning, "bus",
              "outbox relay failed (the rows stay and are retried every " +
                  std::to_string(relay_interval_.count()) + " ms): " + std::string(n.status().message()));
        }
        failing = true;
        break;
      }
      failing = false;
      if (*n < relay_batch_) break;
    }
  }
}

absl::StatusOr<int64_t> RedisQueue::DoRelayOutbox(const RequestContext& ctx, int limit) {
  if (db_ == nullptr) return int64_t{0};
  const bool pg = db_->backend() == store::Backend::kPostgres;
  int64_t handled = 0;
  DAIRA_RETURN_IF_ERROR(db_->RunInTransaction(
      ctx,
      [&](store::Connection& c) -> absl::Status {
        handled = 0;
        std::string sql =
            "SELECT id, payload, correlation_id FROM outbox WHERE published_at IS NULL AND topic LIKE "
            "'bus:%' "
            "ORDER BY id LIMIT ?";
        if (pg) sql += " FOR UPDATE SKIP LOCKED";
        const store::Value limit_value(int64_t{limit});
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, store::Params(&limit_value, 1)));
        if (rs.empty()) return absl::OkStatus();
        std::vector<bus::EnqueueRequest> requests;
        requests.reserve(rs.size());
        std::vector<NewJob> jobs;
        std::vector<int64_t> ids, rejected;
        std::vector<std::string> nonces;
        for (size_t i = 0; i < rs.size(); ++i) {
          const store::Row row = rs.row(i);
          const int64_t id = row.Int64("id");
          absl::StatusOr<JsonValue> v = ParseJson(row.Json("payload"));
          const JsonValue* queue = v.ok() ? v->Get("queue") : nullptr;
          if (queue == nullptr || Settings(queue->AsString()) == nullptr) {
            Log(LogLevel::kError, "bus",
                "outbox row " + std::to_string(id) +
                    " is not a job of a configured queue: set aside (published_at = 0), not relayed");
            rejected.push_back(id);
            continue;
          }
          auto text = [&](std::string_view key) {
            const JsonValue* f = v->Get(key);
            return f == nullptr ? std::string() : f->AsString();
          };
          auto integer = [&](std::string_view key) {
            const JsonValue* f = v->Get(key);
            return f == nullptr ? int64_t{0} : f->AsInt();
          };
          bus::EnqueueRequest r;
          r.queue = queue->AsString();
          r.name = text("name");
          r.payload = text("payload");
          r.priority = static_cast<int>(integer("priority"));
          r.idempotency_key = text("idempotency_key");
          r.group_key = text("group_key");
          nonces.push_back(text("nonce"));
          requests.push_back(std::move(r));
          jobs.push_back({.request = nullptr,
                          .max_attempts = static_cast<int>(integer("max_attempts")),
                          .correlation_id = row.Text("correlation_id"),
                          .run_at = FromUnixMicros(integer("run_at"))});
          ids.push_back(id);
        }
        for (size_t i = 0; i < jobs.size(); ++i) jobs[i].request = &requests[i];
        // Redis first: a row is deleted only once Redis acknowledged its job (the script returned).
        if (!jobs.empty()) DAIRA_RETURN_IF_ERROR(EnqueueNow(&ctx, jobs, ids, nonces).status());
        if (relay_fault_) DAIRA_RETURN_IF_ERROR(relay_fault_());
        auto in_list = [](const std::vector<int64_t>& list, std::vector<store::Value>& params) {
          std::string marks;
          for (int64_t id : list) {
            marks += marks.empty() ? "?" : ", ?";
            params.emplace_back(id);
          }
          return marks;
        };
        if (!ids.empty()) {
          std::vector<store::Value> params;
          const std::string marks = in_list(ids, params);
          DAIRA_RETURN_IF_ERROR(c.Execute("DELETE FROM outbox WHERE id IN (" + marks + ")", params).status());
        }
        if (!rejected.empty()) {
          std::vector<store::Value> params;
          const std::string marks = in_list(rejected, params);
          DAIRA_RETURN_IF_ERROR(
              c.Execute(
                   "UPDATE outbox SET published_at = 0, attempts = attempts + 1 WHERE id IN (" + marks + ")",
                   params)
                  .status());
        }
        handled = static_cast<int64_t>(rs.size());
        return absl::OkStatus();
      },
      {.max_attempts = 1}));  // no in-place retry: the relay thread / the next call tries again
  return handled;
}

RedisQueue::RedisQueue(bus::BusOptions options, std::unique_ptr<RedisPool> pool,
                       std::unique_ptr<RedisPool> blocking)
    : bus::Queue(std::move(options)),
      pool_(std::move(pool)),
      blocking_(std::move(blocking)),
      base_(pool_->url().prefix + "{bus3}:") {}

absl::StatusOr<RedisPool::Lease> RedisQueue::Admit(std::string_view op, const RequestContext* ctx) {
  if (absl::Status allowed = breaker_->Allow(); !allowed.ok()) {
    return absl::Status(allowed.code(), "bus: " + std::string(op) + ": " + std::string(allowed.message()));
  }
  absl::StatusOr<RedisPool::Lease> lease = pool_->Acquire(ctx);
  if (!lease.ok()) breaker_->Record(lease.status());
  return lease;
}

absl::StatusOr<RedisReply> RedisQueue::Run(std::string_view op, const RequestContext* ctx,
                                           const RedisScript& script, const std::vector<std::string>& args) {
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease conn, Admit(op, ctx));
  const std::string keys[] = {base_};
  absl::StatusOr<RedisReply> r = conn->Eval(script, keys, args);
  breaker_->Record(r.status());
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        "bus: " + std::string(op) + ": " + std::string(r.status().message()));
  }
  return r;
}

namespace {
// A job's `when` argument (enqueue_job): the ready member's prefix "<run_at, 17 digits>:" for a job due
// at `now`, else its run_at µs.
std::string WhenArg(int64_t run_at, int64_t now) {
  if (run_at > now) return std::to_string(run_at);
  char when[32];
  std::snprintf(when, sizeof(when), "%017lld:", static_cast<long long>(run_at));
  return when;
}
}  // namespace

void RedisQueue::AppendJobArgs(std::vector<std::string>& args, const NewJob& nj, int64_t now, std::string id,
                               std::string nonce) const {
  const bus::EnqueueRequest& r = *nj.request;
  const int64_t run_at = Us(nj.run_at);
  args.push_back(r.queue);
  args.push_back(PackRecord(r, nj.max_attempts, nj.correlation_id, now, run_at, nonce));
  args.push_back(std::to_string(r.priority));
  args.push_back(WhenArg(run_at, now));
  args.push_back(r.group_key);
  if (id.empty() && nonce.empty() && r.idempotency_key.empty()) {
    args.emplace_back();
  } else {
    std::string rare = std::move(id);
    rare += kSep;
    rare += std::to_string(UsOf(Settings(r.queue)->dedup_window));
    rare += kSep;
    rare += nonce;
    rare += kSep;
    rare += r.idempotency_key;
    args.push_back(std::move(rare));
  }
}

absl::StatusOr<std::vector<bus::EnqueueResult>> RedisQueue::EnqueueNow(
    const RequestContext* ctx, const std::vector<NewJob>& jobs, const std::vector<int64_t>& ids,
    const std::vector<std::string>& nonces) {
  std::vector<std::string> args;
  args.reserve(2 + jobs.size() * 6);
  const int64_t now = Us(clock().Now());
  args.push_back(std::to_string(now));
  args.push_back(std::to_string(ids.empty() ? jobs.size() : 0));  // jobs without a given id
  // Consecutive jobs with nothing rare (no given id, no idempotency key) and the same queue, priority,
  // when and group go as one run (kEnqueue): its shared fields once, then one record per job.
  size_t run_count = 0;  // args index of the open run's count (0: no run open)
  std::string run_when;
  const bus::EnqueueRequest* run_first = nullptr;
  int64_t in_run = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const bus::EnqueueRequest& r = *jobs[i].request;
    if (!ids.empty() || !r.idempotency_key.empty()) {
      if (run_count != 0) args[run_count] = std::to_string(in_run);
      run_count = 0;
      AppendJobArgs(args, jobs[i], now, ids.empty() ? "" : std::to_string(ids[i]),
                    nonces.empty() ? (ids.empty() ? "" : Nonce()) : nonces[i]);
      continue;
    }
    const int64_t run_at = Us(jobs[i].run_at);
    std::string when = WhenArg(run_at, now);
    if (run_count == 0 || r.queue != run_first->queue || r.priority != run_first->priority ||
        r.group_key != run_first->group_key || when != run_when) {
      if (run_count != 0) args[run_count] = std::to_string(in_run);
      args.emplace_back();
      args.push_back(r.queue);
      args.push_back(std::to_string(r.priority));
      args.push_back(when);
      args.push_back(r.group_key);
      args.emplace_back();
      run_count = args.size() - 1;
      run_first = &r;
      run_when = std::move(when);
      in_run = 0;
    }
    args.push_back(PackRecord(r, jobs[i].max_attempts, jobs[i].correlation_id, now, run_at, ""));
    ++in_run;
  }
  if (run_count != 0) args[run_count] = std::to_string(in_run);
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run("enqueue", ctx, Script(kEnqueue), args));
  std::vector<bus::EnqueueResult> out;
  if (ids.empty() && reply.type == RedisReply::Type::kArray && reply.elements.size() == 1 &&
      reply.elements[0].type == RedisReply::Type::kInteger) {
    // A plain bulk enqueue: consecutive new ids from the first.
    out.reserve(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i)
      out.push_back({.id = reply.elements[0].integer + static_cast<int64_t>(i)});
  } else if (reply.type != RedisReply::Type::kArray || reply.elements.size() != jobs.size() * 2) {
    return Unexpected("enqueue", reply);
  }
  if (!out.empty()) {
    wakes_.fetch_add(1);
    cv_.notify_all();
    return out;
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const RedisReply& id = reply.elements[2 * i];
    out.push_back(
        {.id = id.type == RedisReply::Type::kInteger ? static_cast<int64_t>(id.integer) : ToInt(id.str),
         .deduplicated = reply.elements[2 * i + 1].integer == 1});
    if (!ids.empty() && out.back().id != ids[i]) {
      Log(LogLevel::kWarning, "bus",
          "redis bus: job id " + std::to_string(ids[i]) + " was taken by another job; enqueued as " +
              std::to_string(out.back().id));
    }
  }
  wakes_.fetch_add(1);
  cv_.notify_all();
  return out;
}

absl::StatusOr<std::vector<bus::EnqueueResult>> RedisQueue::DoEnqueue(const RequestContext& ctx,
                                                                      const std::vector<NewJob>& jobs) {
  if (ctx.open_transaction() == nullptr) return EnqueueNow(&ctx, jobs, {});
  if (db_ != nullptr) return WriteOutbox(ctx, jobs);
  return EnqueueAfterCommit(ctx, jobs);
}

absl::StatusOr<std::vector<bus::EnqueueResult>> RedisQueue::WriteOutbox(const RequestContext& ctx,
                                                                        const std::vector<NewJob>& jobs) {
  // One outbox row per job, in the caller's transaction; the row id is the job id. Duplicates within
  // this call are folded here; a duplicate of a job already in Redis is folded when relayed.
  constexpr size_t kRowsPerInsert = 200;
  const int64_t now = Us(clock().Now());
  std::vector<bus::EnqueueResult> out(jobs.size());
  std::map<std::pair<std::string, std::string>, int64_t> batch_keys;
  std::vector<store::Value> params;
  size_t rows = 0;
  auto flush = [&]() -> absl::Status {
    if (rows == 0) return absl::OkStatus();
    std::string sql = "INSERT INTO outbox (id, topic, payload, correlation_id, attempts, created_at) VALUES ";
    for (size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?, ?, ?, ?, 0, ?)" : ", (?, ?, ?, ?, 0, ?)";
    absl::Status s = db_->Execute(ctx, sql, params).status();
    params.clear();
    rows = 0;
    return s;
  };
  for (size_t i = 0; i < jobs.size(); ++i) {
    const NewJob& nj = jobs[i];
    const bus::EnqueueRequest& r = *nj.request;
    if (!r.idempotency_key.empty()) {
      auto b = batch_keys.find({r.queue, r.idempotency_key});
      if (b != batch_keys.end()) {
        out[i] = {.id = b->second, .deduplicated = true};
        continue;
      }
    }
    const int64_t id = ids_.Next();
    if (!r.idempotency_key.empty()) batch_keys[{r.queue, r.idempotency_key}] = id;
    out[i] = {.id = id, .deduplicated = false};
    JsonWriter w;
    w.BeginObject()
        .Key("queue")
        .String(r.queue)
        .Key("name")
        .String(r.name)
        .Key("payload")
        .String(r.payload)
        .Key("priority")
        .Int(r.priority)
        .Key("run_at")
        .Int(Us(nj.run_at))
        .Key("max_attempts")
        .Int(nj.max_attempts)
        .Key("idempotency_key")
        .String(r.idempotency_key)
        .Key("group_key")
        .String(r.group_key)
        .Key("nonce")
        .String(Nonce())
        .EndObject();
    params.insert(params.end(),
                  {store::Value(id), store::Value("bus:" + r.queue), store::Value::Json(w.Take()),
                   store::Value(nj.correlation_id), store::Value(now)});
    if (++rows == kRowsPerInsert) DAIRA_RETURN_IF_ERROR(flush());
  }
  DAIRA_RETURN_IF_ERROR(flush());
  // After the commit: relay at once (the relay thread or RelayOutbox retries whatever this misses).
  store::AfterCommit(ctx, [this, correlation = ctx.correlation_id()] {
    RequestContext fresh({.correlation_id = correlation, .caller = "bus:relay", .timeout = milliseconds(0)});
    absl::StatusOr<int64_t> n = DoRelayOutbox(fresh, relay_batch_);
    if (!n.ok()) {
      Log(LogLevel::kWarning, fresh, "bus",
          "outbox relay after commit failed (the relay retries): " + std::string(n.status().message()));
    }
    WakeAll();
  });
  return out;
}

absl::StatusOr<std::vector<bus::EnqueueResult>> RedisQueue::EnqueueAfterCommit(
    const RequestContext& ctx, const std::vector<NewJob>& jobs) {
  // Inside a SQL transaction: decide ids (and dedup against what Redis holds now) at once, write the
  // jobs after the commit. A rollback drops them; so does a Redis failure at commit time (logged).
  const int64_t now = Us(clock().Now());
  std::vector<bus::EnqueueResult> out(jobs.size());
  std::vector<NewJob> fresh;
  std::map<std::pair<std::string, std::string>, int64_t> batch_keys;
  std::vector<size_t> keyed;
  std::vector<std::vector<std::string>> commands;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const bus::EnqueueRequest& r = *jobs[i].request;
    if (!r.idempotency_key.empty()) {
      keyed.push_back(i);
      commands.push_back({"HGET", base_ + "q:" + r.queue + ":keys", r.idempotency_key});
    }
  }
  commands.push_back({"INCRBY", base_ + "id", std::to_string(jobs.size())});
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease conn, Admit("enqueue", &ctx));
  absl::StatusOr<std::vector<RedisReply>> piped = conn->Pipeline(commands);
  breaker_->Record(piped.status());
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, std::move(piped));
  for (const RedisReply& r : replies) {
    if (r.IsError()) return ErrorReplyStatus("bus: enqueue", r);
  }
  int64_t next_id = replies.back().integer - static_cast<int64_t>(jobs.size()) + 1;
  std::map<size_t, int64_t> existing;
  for (size_t k = 0; k < keyed.size(); ++k) {
    const RedisReply& v = replies[k];
    if (v.IsNil()) continue;
    const size_t colon = v.str.find(':');
    const bus::EnqueueRequest& r = *jobs[keyed[k]].request;
    if (colon != std::string::npos &&
        ToInt(v.str.substr(colon + 1)) > now - UsOf(Settings(r.queue)->dedup_window)) {
      existing[keyed[k]] = ToInt(v.str.substr(0, colon));
    }
  }
  std::vector<int64_t> ids;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const bus::EnqueueRequest& r = *jobs[i].request;
    if (auto e = existing.find(i); e != existing.end()) {
      out[i] = {.id = e->second, .deduplicated = true};
      continue;
    }
    if (!r.idempotency_key.empty()) {
      auto b = batch_keys.find({r.queue, r.idempotency_key});
      if (b != batch_keys.end()) {
        out[i] = {.id = b->second, .deduplicated = true};
        continue;
      }
    }
    const int64_t id = next_id++;
    if (!r.idempotency_key.empty()) batch_keys[{r.queue, r.idempotency_key}] = id;
    out[i] = {.id = id, .deduplicated = false};
    fresh.push_back(jobs[i]);
    ids.push_back(id);
  }
  if (fresh.empty()) return out;
  // The hook outlives this call: copy the requests it points into.
  auto requests = std::make_shared<std::vector<bus::EnqueueRequest>>();
  requests->reserve(fresh.size());
  for (NewJob& nj : fresh) requests->push_back(*nj.request);
  for (size_t i = 0; i < fresh.size(); ++i) fresh[i].request = &(*requests)[i];
  store::AfterCommit(ctx, [this, requests, fresh = std::move(fresh), ids = std::move(ids)] {
    absl::StatusOr<std::vector<bus::EnqueueResult>> r = EnqueueNow(nullptr, fresh, ids);
    if (!r.ok()) {
      Log(LogLevel::kError, "bus",
          "redis bus: " + std::to_string(fresh.size()) +
              " job(s) enqueued in a committed transaction were lost: " + std::string(r.status().message()));
    }
  });
  return out;
}

absl::StatusOr<std::optional<bus::Job>> RedisQueue::DoClaim(const RequestContext& ctx,
                                                            const bus::QueueSettings& s,
                                                            std::string_view worker_id, int64_t token) {
  DAIRA_ASSIGN_OR_RETURN(std::vector<bus::Job> jobs, DoClaimMany(ctx, s, worker_id, token, 1));
  if (jobs.empty()) return std::optional<bus::Job>();
  return std::optional<bus::Job>(std::move(jobs.front()));
}

absl::StatusOr<std::vector<bus::Job>> RedisQueue::DoClaimMany(const RequestContext& ctx,
                                                              const bus::QueueSettings& s,
                                                              std::string_view worker_id, int64_t token,
                                                              int max_jobs) {
  ClaimAsk me{.worker = worker_id, .token = token, .max = max_jobs};
  if (s.round_robin_groups) {  // the groups' turns are taken job by job: one requester per call
    std::vector<ClaimAsk*> one{&me};
    ClaimTogether(ctx, s, one);
    return std::move(me.jobs);
  }
  // Threads that claim from one queue at once share one script call: the first becomes the leader and
  // sends its own ask with every ask waiting when it starts; the others wait for an answer, or for the
  // call in flight to end and lead the next one (as a group commit does).
  std::unique_lock<std::mutex> lock(claim_mu_);
  ClaimLane& lane = claim_lanes_[s.name];
  lane.waiting.push_back(&me);
  while (!me.done) {
    if (lane.leading) {
      me.cv.wait(lock);
      continue;
    }
    lane.leading = true;
    std::vector<ClaimAsk*> asks;
    asks.swap(lane.waiting);
    lock.unlock();
    ClaimTogether(ctx, s, asks);
    lock.lock();
    lane.leading = false;
    // Wake the asks just answered and the first of those that came during the call, which leads the
    // next one (a thread arriving first leads instead; the woken one then waits for its answer). The
    // notifications are sent under the lock: an answered thread cannot return and end its ask before.
    for (ClaimAsk* ask : asks) {
      ask->done = true;
      if (ask != &me) ask->cv.notify_one();
    }
    if (!lane.waiting.empty()) lane.waiting.front()->cv.notify_one();
  }
  return std::move(me.jobs);
}

void RedisQueue::ClaimTogether(const RequestContext& ctx, const bus::QueueSettings& s,
                               const std::vector<ClaimAsk*>& asks) {
  const int64_t now = Us(clock().Now());
  std::vector<std::string> args{std::to_string(now),
                                s.name,
                                std::to_string(UsOf(s.timeout)),
                                s.round_robin_groups ? "1" : "0",
                                std::to_string(s.group_concurrency),
                                std::to_string(s.rate_limit),
                                std::to_string(UsOf(s.rate_window))};
  args.reserve(args.size() + 3 * asks.size());
  for (const ClaimAsk* ask : asks) {
    args.emplace_back(ask->worker);
    args.push_back(std::to_string(ask->token));
    args.push_back(std::to_string(ask->max));
  }
  absl::StatusOr<RedisReply> r = Run("next", &ctx, ClaimScript(), args);
  auto fail = [&](const absl::Status& status) {
    for (ClaimAsk* ask : asks) ask->jobs = status;
  };
  if (!r.ok()) return fail(r.status());
  for (ClaimAsk* ask : asks) ask->jobs = std::vector<bus::Job>();
  if (r->IsNil()) return;
  if (r->type != RedisReply::Type::kArray) return fail(Unexpected("next", *r));
  // Nothing, or the ids joined by ',', the records, and — only when some job was claimed before — the
  // list of (position, leftovers) pairs, positions 1-based and increasing.
  const auto& e = r->elements;
  if (e.empty()) return;
  if (e.size() < 2 || e.size() > 3 || e[0].type != RedisReply::Type::kString ||
      e[1].type != RedisReply::Type::kArray)
    return fail(Unexpected("next", *r));
  std::string_view ids = e[0].str;
  const auto& records = e[1].elements;
  const size_t total = records.size();
  if (static_cast<size_t>(std::count(ids.begin(), ids.end(), ',')) + 1 != total)
    return fail(Unexpected("next", *r));
  const RedisReply* extras = e.size() == 3 ? &e[2] : nullptr;
  if (extras != nullptr && (extras->type != RedisReply::Type::kArray || extras->elements.size() % 2 != 0))
    return fail(Unexpected("next", *r));
  size_t next_extra = 0;  // index into extras->elements of the next (position, leftovers) pair
  // The script dealt the jobs out in the asks' order, each ask's max jobs before the next's.
  size_t k = 0;
  for (ClaimAsk* ask : asks) {
    const size_t n = std::min(static_cast<size_t>(ask->max), total - k);
    std::vector<bus::Job>& out = *ask->jobs;
    out.reserve(n);
    const Claim claim{.worker = ask->worker,
                      .token = ask->token,
                      .now = FromUnixMicros(now),
                      .lease_expires_at = FromUnixMicros(now + UsOf(s.timeout))};
    for (const size_t end = k + n; k < end; ++k) {
      const RedisReply* extra = nullptr;
      if (extras != nullptr && next_extra < extras->elements.size() &&
          extras->elements[next_extra].integer == static_cast<long long>(k + 1)) {
        extra = &extras->elements[next_extra + 1];
        next_extra += 2;
      }
      const size_t comma = std::min(ids.find(','), ids.size());
      absl::StatusOr<bus::Job> job = ParseClaimed(ids.substr(0, comma), records[k], extra, claim);
      ids.remove_prefix(std::min(comma + 1, ids.size()));
      if (!job.ok()) return fail(job.status());
      out.push_back(*std::move(job));
    }
  }
}

void RedisQueue::WaitForWork(std::string_view queue, uint64_t seen,
                             std::chrono::steady_clock::time_point until) {
  // Blocks in BLPOP on the queue's wake list (an enqueue, retry, release, replay or resume in any process
  // pushes a token), in slices of at most 250 ms so a local WakeAll / Close is seen promptly.
  const std::string key = base_ + "wake:" + std::string(queue);
  const auto slice_max = std::min(milliseconds(250), blocking_->url().command_timeout / 2);
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (wakes_.load() != seen || closed() || now >= until) return;
    const auto slice =
        std::min(std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1), slice_max);
    // While the breaker is open Redis is not even asked: the wait is local (the next claim probes).
    const bool open = breaker_->state() != resilience::BreakerState::kClosed;
    absl::StatusOr<RedisPool::Lease> conn =
        open ? absl::StatusOr<RedisPool::Lease>(absl::UnavailableError("breaker open"))
             : blocking_->Acquire();
    if (conn.ok()) {
      char secs[32];
      std::snprintf(secs, sizeof(secs), "%.3f", static_cast<double>(slice.count()) / 1000.0);
      absl::StatusOr<RedisReply> r = (*conn)->Command({"BLPOP", key, secs});
      if (r.ok() && r->type == RedisReply::Type::kArray) return;  // a token
      if (r.ok()) continue;                                       // the slice ran out
    }
    // Redis unreachable: wait out the slice locally (the pool reconnects with backoff).
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, slice, [&] { return wakes_.load() != seen || closed(); });
  }
}

void RedisQueue::WakeAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wakes_.fetch_add(1);
  }
  cv_.notify_all();
}

absl::StatusOr<std::optional<Clock::TimePoint>> RedisQueue::DoNextDue(const RequestContext& ctx,
                                                                      const bus::QueueSettings& s) {
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease conn, Admit("next due", &ctx));
  absl::StatusOr<std::vector<RedisReply>> piped =
      conn->Pipeline({{"ZRANGE", base_ + "q:" + s.name + ":delayed", "0", "0", "WITHSCORES"},
                      // below +inf: the skiplist keeper is not a job
                      {"ZRANGEBYSCORE", base_ + "q:" + s.name + ":active", "-inf", "(+inf", "WITHSCORES",
                       "LIMIT", "0", "1"}});
  breaker_->Record(piped.status());
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, std::move(piped));
  std::optional<int64_t> best;
  for (const RedisReply& r : replies) {
    if (r.IsError()) return ErrorReplyStatus("bus: next due", r);
    if (r.elements.size() == 2) {
      const int64_t at = static_cast<int64_t>(std::strtod(r.elements[1].str.c_str(), nullptr));
      best = std::min(best.value_or(INT64_MAX), at);
    }
  }
  if (!best.has_value()) return std::optional<Clock::TimePoint>();
  return std::optional<Clock::TimePoint>(FromUnixMicros(*best));
}

absl::Status RedisQueue::DoTransition(const RequestContext& ctx, const bus::Job& job, const Transition& t) {
  if (t.outcome == Outcome::kComplete && !job.queue.empty()) {
    // A completion of a job whose queue the client knows: a run of one through the batched completion
    // (no record unpacked in Lua for its metrics, which the client computes).
    DAIRA_ASSIGN_OR_RETURN(std::vector<absl::Status> each, FinishMany("complete", ctx, {&job}, {t}));
    WakeAll();
    return each.front();
  }
  DAIRA_ASSIGN_OR_RETURN(
      RedisReply r, Run(OutcomeName(static_cast<int>(t.outcome)), &ctx, Script(TransitionScript()),
                        {std::to_string(Us(t.now)), std::to_string(job.id), std::to_string(job.lease_token),
                         std::string(OutcomeName(static_cast<int>(t.outcome))), t.text,
                         std::to_string(Us(t.when)), t.worker, job.queue.str(), job.group_key.str()}));
  if (r.type != RedisReply::Type::kInteger) return Unexpected("transition", r);
  if (r.integer == 0) return LeaseLost(t.outcome, job.id);
  if (t.outcome != Outcome::kProgress && t.outcome != Outcome::kExtend && t.outcome != Outcome::kCheck) WakeAll();
  if (r.integer == 2) return CancelRequestedError(job.id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<absl::Status>> RedisQueue::DoTransitionMany(
    const RequestContext& ctx, const std::vector<const bus::Job*>& jobs,
    const std::vector<Transition>& transitions) {
  return FinishMany("finish many", ctx, jobs, transitions);
}

absl::StatusOr<std::vector<absl::Status>> RedisQueue::FinishMany(std::string_view op,
                                                                 const RequestContext& ctx,
                                                                 const std::vector<const bus::Job*>& jobs,
                                                                 const std::vector<Transition>& transitions) {
  // TransitionManyScript's records: completions of distinct jobs with a known queue in runs by (queue,
  // group, token) — 3 arguments per job —, everything else as a 'T' record in request order (its ids are
  // then none of the runs', so the order between runs and 'T' records does not matter).
  const int64_t now = Us(transitions.front().now);
  // The ids named more than once in the batch (sorted: no node allocated per job).
  std::vector<int64_t> sorted;
  sorted.reserve(jobs.size());
  for (const bus::Job* job : jobs) sorted.push_back(job->id);
  std::sort(sorted.begin(), sorted.end());
  auto named_once = [&](int64_t id) {
    auto [lo, hi] = std::equal_range(sorted.begin(), sorted.end(), id);
    return hi - lo == 1;
  };
  // The metric fields of a completion, as the script's metric() would compute them from the stored
  // run_at and started, which this claimed copy carries (backends/bus_metrics.h buckets); numbered.
  std::map<std::pair<int, int>, std::string> pairs;  // (wait bucket or -1, run bucket or -1) -> number
  std::vector<std::string> pair_args;
  auto pair_of = [&](const bus::Job& job) -> const std::string& {
    const int64_t started = job.started_at == Clock::TimePoint{} ? 0 : Us(job.started_at);
    const int64_t run_at = job.run_at == Clock::TimePoint{} ? 0 : Us(job.run_at);
    int wait = -1, run = 0;
    if (started > 0) {
      if (run_at > 0) wait = backends::LatencyBucket(std::max<int64_t>(0, started - run_at));
      run = backends::LatencyBucket(std::max<int64_t>(0, now - started));
    }
    auto [it, added] = pairs.try_emplace({wait, run}, std::to_string(pairs.size() + 1));
    if (added) {
      pair_args.push_back(wait < 0 ? std::string() : "w" + std::to_string(wait));
      pair_args.push_back("c" + std::to_string(run));
    }
    return it->second;
  };
  // (queue, group, token) -> positions in `jobs`
  std::map<std::tuple<std::string_view, std::string_view, int64_t>, std::vector<size_t>> runs;
  std::vector<size_t> singles;
  bool wakes = false;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const bus::Job& job = *jobs[i];
    if (transitions[i].outcome == Outcome::kComplete && !job.queue.empty() && named_once(job.id)) {
      runs[{job.queue, job.group_key, job.lease_token}].push_back(i);
    } else {
      singles.push_back(i);
      wakes = wakes || transitions[i].outcome != Outcome::kComplete;
    }
  }
  std::vector<std::string> body;
  body.reserve(5 * runs.size() + 3 * jobs.size() + 9 * singles.size());
  std::vector<size_t> order;  // the job of each answer
  order.reserve(jobs.size());
  for (const auto& [key, run] : runs) {
    // Jobs with an empty result go as 'c' records, one per metric pair (the id alone per job); the
    // others as one 'C' record (id, result, pair per job).
    std::vector<size_t> with_result;
    std::vector<std::pair<const std::string*, std::vector<size_t>>> by_pair;
    for (size_t i : run) {
      if (!transitions[i].text.empty()) {
        with_result.push_back(i);
        continue;
      }
      const std::string* pair = &pair_of(*jobs[i]);
      auto it = std::find_if(by_pair.begin(), by_pair.end(), [&](const auto& p) { return p.first == pair; });
      if (it == by_pair.end()) {
        by_pair.push_back({pair, {i}});
      } else {
        it->second.push_back(i);
      }
    }
    auto head = [&](const char* kind) {
      body.push_back(kind);
      body.emplace_back(std::get<0>(key));
      body.emplace_back(std::get<1>(key));
      body.push_back(std::to_string(std::get<2>(key)));
    };
    for (const auto& [pair, members] : by_pair) {
      head("c");
      body.push_back(*pair);
      body.push_back(std::to_string(members.size()));
      for (size_t i : members) {
        body.push_back(std::to_string(jobs[i]->id));
        order.push_back(i);
      }
    }
    if (with_result.empty()) continue;
    head("C");
    body.push_back(std::to_string(with_result.size()));
    for (size_t i : with_result) {
      body.push_back(std::to_string(jobs[i]->id));
      body.push_back(transitions[i].text);
      body.push_back(pair_of(*jobs[i]));
      order.push_back(i);
    }
  }
  for (size_t i : singles) {
    const Transition& t = transitions[i];
    const bus::Job& job = *jobs[i];
    body.insert(body.end(), {"T", std::to_string(job.id), std::to_string(job.lease_token),
                             std::string(OutcomeName(static_cast<int>(t.outcome))), t.text,
                             std::to_string(Us(t.when)), t.worker, job.queue.str(), job.group_key.str()});
    order.push_back(i);
  }
  std::vector<std::string> args;
  args.reserve(2 + pair_args.size() + body.size());
  args.push_back(std::to_string(now));
  args.push_back(std::to_string(pairs.size()));
  for (std::string& a : pair_args) args.push_back(std::move(a));
  for (std::string& a : body) args.push_back(std::move(a));
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run(op, &ctx, TransitionManyScript(), args));
  // The positions (1-based, in `order`) of the jobs not moved; every other job moved.
  if (r.type != RedisReply::Type::kArray || r.elements.size() > jobs.size()) return Unexpected(op, r);
  std::vector<absl::Status> out(jobs.size());
  for (const RedisReply& lost : r.elements) {
    if (lost.type != RedisReply::Type::kInteger || lost.integer < 1 ||
        lost.integer > static_cast<long long>(order.size()))
      return Unexpected(op, lost);
    const size_t i = order[static_cast<size_t>(lost.integer - 1)];
    out[i] = LeaseLost(transitions[i].outcome, jobs[i]->id);
  }
  if (wakes) WakeAll();
  return out;
}

absl::StatusOr<bus::Job> RedisQueue::DoGet(const RequestContext& ctx, int64_t id) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run("get", &ctx, Script(kGet), {std::to_string(id)}));
  if (r.IsNil()) return absl::NotFoundError("bus: get: job " + std::to_string(id) + " not found");
  return ParseJob("get", r);
}

absl::Status RedisQueue::DoCancel(const RequestContext& ctx, int64_t id, Clock::TimePoint now) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r,
                         Run("cancel", &ctx, Script(kCancel), {std::to_string(Us(now)), std::to_string(id)}));
  if (r.str == "ok") return absl::OkStatus();
  if (r.str == "missing") return absl::NotFoundError("bus: cancel: job " + std::to_string(id) + " not found");
  return absl::FailedPreconditionError("bus: cancel: job " + std::to_string(id) + " is " + r.str +
                                       ", not WAITING or ACTIVE");
}

absl::Status RedisQueue::DoSetPaused(const RequestContext& ctx, const bus::QueueSettings& s, bool paused) {
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease conn, Admit(paused ? "pause" : "resume", &ctx));
  const std::string key = base_ + "q:" + s.name + ":paused";
  if (paused) {
    absl::Status set = conn->Command({"SET", key, "1"}).status();
    breaker_->Record(set);
    return set;
  }
  absl::StatusOr<std::vector<RedisReply>> piped =
      conn->Pipeline({{"DEL", key},
                      {"LPUSH", base_ + "wake:" + s.name, "1"},
                      {"LTRIM", base_ + "wake:" + s.name, "0", "63"}});
  breaker_->Record(piped.status());
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, std::move(piped));
  for (const RedisReply& r : replies) {
    if (r.IsError()) return ErrorReplyStatus("bus: resume", r);
  }
  return absl::OkStatus();
}

absl::StatusOr<bus::QueueCounts> RedisQueue::DoCounts(const RequestContext& ctx,
                                                      const bus::QueueSettings& s) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r,
                         Run("counts", &ctx, Script(kCounts), {std::to_string(Us(clock().Now())), s.name}));
  if (r.type != RedisReply::Type::kArray || r.elements.size() != 7) return Unexpected("counts", r);
  bus::QueueCounts c;
  c.queue = s.name;
  c.waiting = r.elements[0].integer;
  c.delayed = r.elements[1].integer;
  c.active = r.elements[2].integer;
  c.completed = r.elements[3].integer;
  c.dead = r.elements[4].integer;
  c.cancelled = r.elements[5].integer;
  c.paused = r.elements[6].integer == 1;
  return c;
}

absl::StatusOr<bus::MetricHistograms> RedisQueue::DoMetrics(const RequestContext& ctx,
                                                            const bus::QueueSettings& s, int64_t first_minute,
                                                            int64_t last_minute) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r,
                         Run("metrics", &ctx, Script(kMetrics),
                             {s.name, std::to_string(first_minute), std::to_string(last_minute)}));
  if (r.type != RedisReply::Type::kArray) return Unexpected("metrics", r);
  bus::MetricHistograms h = backends::EmptyHistograms();
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& field = r.elements[i].str;
    if (field.size() < 2) continue;
    backends::AddToHistograms(h, field[0], static_cast<int>(ToInt(field.substr(1))),
                              ToInt(r.elements[i + 1].str));
  }
  return h;
}

absl::StatusOr<std::vector<bus::Job>> RedisQueue::DoList(const RequestContext& ctx,
                                                         const bus::QueueSettings& s, bus::JobState state,
                                                         int limit) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r,
                         Run("list", &ctx, Script(kList),
                             {s.name, std::string(bus::JobStateName(state)), std::to_string(limit)}));
  std::vector<bus::Job> out;
  for (const RedisReply& e : r.elements) {
    if (e.IsNil()) continue;
    DAIRA_ASSIGN_OR_RETURN(bus::Job j, ParseJob("list", e));
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<int64_t> RedisQueue::DoReplay(const RequestContext& ctx, const bus::QueueSettings& s,
                                             const std::vector<int64_t>& ids) {
  std::vector<std::string> args = {std::to_string(Us(clock().Now())), s.name};
  for (int64_t id : ids) args.push_back(std::to_string(id));
  if (!ids.empty() && args.size() == 2) return 0;
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run("replay", &ctx, Script(kReplay), args));
  return static_cast<int64_t>(r.integer);
}

absl::StatusOr<int64_t> RedisQueue::DoRecoverStalled(const RequestContext& ctx, const bus::QueueSettings& s) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run("recover stalled", &ctx, Script(kRecover),
                                           {std::to_string(Us(clock().Now())), s.name}));
  if (r.integer > 0) WakeAll();
  return static_cast<int64_t>(r.integer);
}

absl::StatusOr<int64_t> RedisQueue::DoClean(const RequestContext& ctx, const bus::QueueSettings& s) {
  DAIRA_ASSIGN_OR_RETURN(
      RedisReply r, Run("clean", &ctx, Script(kClean),
                        {std::to_string(Us(clock().Now())), s.name, std::to_string(UsOf(s.retain_completed)),
                         std::to_string(UsOf(s.retain_dead))}));
  return static_cast<int64_t>(r.integer);
}

absl::StatusOr<bus::Repeatable> RedisQueue::DoAddRepeatable(const RequestContext& ctx, const bus::Repeatable& d,
                                                            const std::string& schedule) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run("add repeatable", &ctx, Script(kAddRepeat),
                                           {d.queue, d.key, d.name, d.payload, schedule, std::to_string(d.priority),
                                            std::to_string(d.max_attempts), std::to_string(Us(d.next_run_at)),
                                            std::to_string(Us(d.created_at))}));
  return ParseRepeatable("add repeatable", r);
}

absl::StatusOr<std::vector<bus::Repeatable>> RedisQueue::DoListRepeatables(const RequestContext& ctx,
                                                                         const bus::QueueSettings& s) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run("list repeatables", &ctx, Script(kListRepeat), {s.name}));
  if (r.type != RedisReply::Type::kArray) return Unexpected("list repeatables", r);
  std::vector<bus::Repeatable> out;
  for (const RedisReply& e : r.elements) {
    DAIRA_ASSIGN_OR_RETURN(bus::Repeatable d, ParseRepeatable("list repeatables", e));
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<bool> RedisQueue::DoRemoveRepeatable(const RequestContext& ctx, const bus::QueueSettings& s,
                                                    std::string_view key) {
  DAIRA_ASSIGN_OR_RETURN(RedisReply r,
                         Run("remove repeatable", &ctx, Script(kRemoveRepeat), {s.name, std::string(key)}));
  return r.integer > 0;
}

absl::StatusOr<bool> RedisQueue::DoFireRepeatable(const RequestContext& ctx, const bus::QueueSettings& s,
                                                  std::string_view key, Clock::TimePoint expected,
                                                  Clock::TimePoint occurrence, Clock::TimePoint next,
                                                  const NewJob& job) {
  const int64_t now = Us(clock().Now());
  std::vector<std::string> args = {s.name,
                                   std::string(key),
                                   std::to_string(Us(expected)),
                                   std::to_string(Us(next)),
                                   std::to_string(Us(occurrence)),
                                   std::to_string(now)};
  AppendJobArgs(args, job, now, "", "");
  DAIRA_ASSIGN_OR_RETURN(RedisReply r, Run("run repeatables", &ctx, Script(kFireRepeat), args));
  if (r.type != RedisReply::Type::kInteger) return Unexpected("run repeatables", r);
  if (r.integer == 1) WakeAll();
  return r.integer == 1;
}

}  // namespace daira::inline v0::backends::redis
