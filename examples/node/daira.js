// A thin Node wrapper over libdaira_c.so (daira's C ABI) with koffi: each call takes a plain object,
// sends it as JSON, and returns the parsed JSON record, or throws a DairaError carrying the code, its
// name, the field at fault and every violation. Ids come back as decimal strings (JavaScript numbers
// lose integers above 2^53); pass them back as they are.
//
//   const daira = require('./daira');
//   const db = daira.open('sqlite:/tmp/app.db', { password_cost: 'test' });
//   const alice = db.call('accounts_register', { username: 'alice', email: 'a@x.io', password: 'pw pw pw pw' });
//   const w = db.record('wallets_get', { id: wallet.id }, 'balance,currency');   // a record call + field mask
//   const u = db.byId('users_get', alice.id);         // a typed single-id call: no request JSON
//   const post = db.transaction((tx) => {             // one commit for both writes; a throw rolls back
//     tx.call('social_follow', { follower_id: bob.id, followee_id: alice.id });
//     return tx.call('content_create_post', { author_id: alice.id, content: 'hi' });
//   });
//   const sub = db.subscribe({ target: 'topic:jobs' });   // real-time: pulled, never called back
//   const m = sub.next(500);                               // {channel, epoch, sequence, payload, time} or null
//   sub.close();
//   db.close();
//
// Ownership: every string the library returns is copied into JS and freed with daira_free at once
// (byId's records are written into one Buffer the wrapper owns and reuses, so nothing is freed);
// every error object is freed after its fields are read. Threading: calls are synchronous on the
// calling (main) thread; the library never calls back into JS.
'use strict';

const koffi = require('koffi');
const path = require('path');

function libraryPath() {
  if (process.env.DAIRA_C_LIB) return process.env.DAIRA_C_LIB;
  return path.join(process.env.DAIRA_LIB_DIR || '/usr/local/lib', 'libdaira_c.so');
}

const lib = koffi.load(libraryPath());
koffi.opaque('daira_platform_t');
koffi.opaque('daira_error_t');
koffi.opaque('daira_subscription_t');

const c = {
  version: lib.func('const char *daira_version(void)'),
  codeName: lib.func('const char *daira_code_name(int code)'),
  free: lib.func('void daira_free(void *ptr)'),
  errorCode: lib.func('int daira_error_code(const daira_error_t *err)'),
  errorMessage: lib.func('const char *daira_error_message(const daira_error_t *err)'),
  errorField: lib.func('const char *daira_error_field(const daira_error_t *err)'),
  errorViolations: lib.func('const char *daira_error_violations(const daira_error_t *err)'),
  errorFree: lib.func('void daira_error_free(_Inout_ daira_error_t **err)'),
  open: lib.func('int daira_platform_open(const char *url, size_t url_len, const char *options, size_t options_len, ' +
                 '_Out_ daira_platform_t **out, _Inout_ daira_error_t **err)'),
  shutdown: lib.func('int daira_platform_shutdown(daira_platform_t *platform, _Inout_ daira_error_t **err)'),
  close: lib.func('int daira_platform_close(_Inout_ daira_platform_t **platform, _Inout_ daira_error_t **err)'),
  begin: lib.func('int daira_transaction_begin(daira_platform_t *platform, const char *options, size_t options_len, ' +
                  '_Out_ daira_platform_t **out_tx, _Inout_ daira_error_t **err)'),
  commit: lib.func('int daira_transaction_commit(_Inout_ daira_platform_t **tx, _Inout_ daira_error_t **err)'),
  rollback: lib.func('int daira_transaction_rollback(_Inout_ daira_platform_t **tx, _Inout_ daira_error_t **err)'),
  subscribe: lib.func('int daira_realtime_subscribe(daira_platform_t *platform, const char *request, ' +
                      'size_t request_len, _Out_ daira_subscription_t **out, _Inout_ daira_error_t **err)'),
  subNext: lib.func('int daira_subscription_next(daira_subscription_t *sub, int timeout_ms, _Out_ void **out_json, ' +
                    '_Inout_ daira_error_t **err)'),
  subFd: lib.func('int daira_subscription_fd(const daira_subscription_t *sub)'),
  subClose: lib.func('int daira_subscription_close(_Inout_ daira_subscription_t **sub, _Inout_ daira_error_t **err)'),
};

// The service calls all share one signature; they are bound on first use by name ("feed_home").
const callSignature = (name) =>
  `int daira_${name}(daira_platform_t *platform, const char *request, size_t request_len, ` +
  '_Out_ void **out_json, _Inout_ daira_error_t **err)';
const calls = new Map();
function callFunction(name) {
  if (!/^[a-z_]+$/.test(name)) throw new TypeError(`not a daira call name: ${name}`);
  if (!calls.has(name)) calls.set(name, lib.func(callSignature(name)));
  return calls.get(name);
}

// The record calls (typed repositories: wallets_get, follows_list_by_follower, …) take the field mask
// too; they are bound with their own signature, in their own table, so a name is never bound both ways.
const recordSignature = (name) =>
  `int daira_${name}(daira_platform_t *platform, const char *request, size_t request_len, ` +
  'const char *fields, _Out_ void **out_json, _Inout_ daira_error_t **err)';
const records = new Map();
function recordFunction(name) {
  if (!/^[a-z_]+$/.test(name)) throw new TypeError(`not a daira call name: ${name}`);
  if (!records.has(name)) records.set(name, lib.func(recordSignature(name)));
  return records.get(name);
}

// The typed single-id calls (daira_<name>_by_id_into: users_get, profiles_get, profiles_stats,
// content_get_post, content_get_comment, content_get_video), bound on first use. They take the id as an
// int64 and write the record into a caller-owned buffer: no request JSON to build and parse, no library
// allocation to copy and free. `len` is a size_t out-parameter passed as a reused typed array.
const idSignature = (name) =>
  `int daira_${name}_by_id_into(daira_platform_t *platform, int64_t id, void *buf, size_t cap, void *len, ` +
  '_Inout_ daira_error_t **err)';
const idCalls = new Map();
function idFunction(name) {
  if (!/^[a-z_]+$/.test(name)) throw new TypeError(`not a daira call name: ${name}`);
  if (!idCalls.has(name)) idCalls.set(name, lib.func(idSignature(name)));
  return idCalls.get(name);
}
// Shared by every byId call (calls are synchronous on one thread): the record buffer, grown when a
// record needs more; the length (a size_t: two 32-bit halves, little-endian as on every platform koffi
// runs daira on); the error box.
let idBuffer = Buffer.allocUnsafe(16384);
const idLength = new Uint32Array(2);
const idErrBox = [null];
const kResourceExhausted = 8;

// An id as koffi's int64 argument: a BigInt, a safe integer Number, or a string of decimal digits (as
// daira's records carry them).
function idArgument(id) {
  if (typeof id === 'bigint') return id;
  if (typeof id === 'string' && /^-?[0-9]{1,19}$/.test(id)) return BigInt(id);
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  throw new TypeError(`an id must be a BigInt, a safe integer or a string of digits (got ${typeof id} ${id})`);
}

class DairaError extends Error {
  constructor(code, message, field, violations) {
    super(message);
    this.name = 'DairaError';
    this.code = code;                  // numeric, equal to absl::StatusCode
    this.codeName = c.codeName(code);  // "INVALID_ARGUMENT", "NOT_FOUND", …
    this.field = field;                // "" when the error names no field
    this.violations = violations;      // [{field, message}, …]
  }
}

// Turns a failed call's error object into a DairaError, freeing the object.
function takeError(code, errBox) {
  const err = errBox[0];
  if (!err) return new DairaError(code, c.codeName(code), '', []);
  const e = new DairaError(code, c.errorMessage(err), c.errorField(err), JSON.parse(c.errorViolations(err)));
  c.errorFree(errBox);
  return e;
}

function encode(value) {
  return value === undefined ? '' : JSON.stringify(value);
}

// What a Platform and a Transaction share: the calls, made on `handle` (a daira_platform_t*: the C ABI
// runs a call made with a transaction handle inside that transaction).
class Handle {
  constructor(handle) {
    this.handle = handle;
  }

  // The error a call on an ended handle throws (FAILED_PRECONDITION).
  closedError() {
    return new DairaError(9, 'platform is closed', 'platform', []);
  }

  // Calls the service call daira_<name> with `request` (an object) and returns the parsed record.
  // Not for record calls (their C signature has a `fields` parameter): use record().
  call(name, request = {}) {
    if (this.handle === null) throw this.closedError();
    if (records.has(name)) throw new TypeError(`${name} is a record call: use record(name, request, fields)`);
    const fn = callFunction(name);
    const text = encode(request);
    return this.#run(text, (out, errBox) => fn(this.handle, text, Buffer.byteLength(text), out, errBox));
  }

  // Calls the record call daira_<name> (a typed-repository read: "wallets_get", "follows_find_by_pair",
  // "sessions_list_by_user", …) with `request` (an object; an array of ids for *_get_many) and the field
  // mask `fields` ("balance,currency"; null/undefined or "" = every field) and returns the parsed record
  // or page. The exists/count calls and the writes are service calls: use call().
  record(name, request = {}, fields = null) {
    if (this.handle === null) throw this.closedError();
    if (calls.has(name)) throw new TypeError(`${name} is a service call: use call(name, request)`);
    if (fields !== null && fields !== undefined && typeof fields !== 'string') {
      throw new TypeError('fields must be a string of comma-separated field names, or null');
    }
    const fn = recordFunction(name);
    const text = encode(request);
    const mask = fields === undefined ? null : fields;
    return this.#run(text, (out, errBox) => fn(this.handle, text, Buffer.byteLength(text), mask, out, errBox));
  }

  // Calls the typed single-id call daira_<name>_by_id_into ("users_get", "profiles_stats",
  // "content_get_post", …: the JSON call's name) with `id` (a string of digits, a BigInt or a safe
  // integer) and returns the parsed record — the same record as call(name, {<its id field>: id}).
  byId(name, id) {
    if (this.handle === null) throw this.closedError();
    const fn = idFunction(name);
    const arg = idArgument(id);
    for (;;) {
      const code = fn(this.handle, arg, idBuffer, idBuffer.length, idLength, idErrBox);
      const len = idLength[0] + idLength[1] * 4294967296;
      if (code === 0) return JSON.parse(idBuffer.toString('utf8', 0, len));
      if (code !== kResourceExhausted || len <= idBuffer.length) throw takeError(code, idErrBox);
      c.errorFree(idErrBox);  // too small: grow to the size reported and call again
      idBuffer = Buffer.allocUnsafe(Math.max(len, 2 * idBuffer.length));
    }
  }

  // Runs one call and returns its parsed JSON, freeing the library's string; throws a DairaError.
  #run(text, invoke) {
    const out = [null];
    const errBox = [null];
    const code = invoke(out, errBox);
    if (code !== 0) throw takeError(code, errBox);
    try {
      return JSON.parse(koffi.decode(out[0], 'char', -1));
    } finally {
      c.free(out[0]);
    }
  }
}

// A real-time subscription (Platform.subscribe): pull messages with next(); no callbacks.
class Subscription {
  constructor(handle) {
    this.handle = handle;
  }

  // The next message ({channel, epoch, sequence, payload, time}), waiting at most timeoutMs
  // (0..60000), or null when none came in time. Throws a DairaError once the subscription is closed.
  next(timeoutMs = 0) {
    if (this.handle === null) throw new DairaError(3, 'the subscription is closed', 'subscription', []);
    const out = [null];
    const errBox = [null];
    const code = c.subNext(this.handle, timeoutMs, out, errBox);
    if (code !== 0) throw takeError(code, errBox);
    try {
      return JSON.parse(koffi.decode(out[0], 'char', -1)).message;
    } finally {
      c.free(out[0]);
    }
  }

  // A file descriptor that polls readable while a message is queued (for event loops).
  fd() {
    return this.handle === null ? -1 : c.subFd(this.handle);
  }

  // Unsubscribes and frees the handle. Idempotent.
  close() {
    if (this.handle === null) return;
    const box = [this.handle];
    const errBox = [null];
    this.handle = null;
    const code = c.subClose(box, errBox);
    if (code !== 0) throw takeError(code, errBox);
  }
}

class Platform extends Handle {
  // Subscribes to a real-time channel or pattern: request {target, queue_size, slow_consumer,
  // resume_from} (daira_realtime_subscribe). Close the Subscription when done.
  subscribe(request) {
    if (this.handle === null) throw this.closedError();
    const text = encode(request);
    const out = [null];
    const errBox = [null];
    const code = c.subscribe(this.handle, text, Buffer.byteLength(text), out, errBox);
    if (code !== 0) throw takeError(code, errBox);
    return new Subscription(out[0]);
  }

  // Begins a transaction (daira_transaction_begin): a Transaction offers call() and record(), each run
  // inside it. `isolation`: 'default' (the backend's), 'read_committed', 'repeatable_read' or
  // 'serializable' (PostgreSQL; SQLite's transactions are always serializable). End it with commit()
  // or rollback(); until then it holds one pooled connection (on SQLite the one writer: other
  // transactions and the platform's writes wait for it).
  begin(isolation = 'default') {
    if (this.handle === null) throw this.closedError();
    const opts = encode({ isolation });
    const out = [null];
    const errBox = [null];
    const code = c.begin(this.handle, opts, Buffer.byteLength(opts), out, errBox);
    if (code !== 0) throw takeError(code, errBox);
    return new Transaction(out[0]);
  }

  // Runs fn(tx) in a transaction and returns what it returns: commits when it returns, rolls back and
  // rethrows when it throws. A DairaError with codeName 'ABORTED' from the commit means: run it again.
  transaction(fn, { isolation = 'default' } = {}) {
    const tx = this.begin(isolation);
    let result;
    try {
      result = fn(tx);
    } catch (e) {
      tx.rollback();
      throw e;
    }
    tx.commit();
    return result;
  }

  // Shuts down and frees the handle. Idempotent. A transaction still open is rolled back (its commit()
  // then throws FAILED_PRECONDITION).
  close() {
    if (this.handle === null) return;
    const box = [this.handle];
    const errBox = [null];
    this.handle = null;
    const code = c.close(box, errBox);
    if (code !== 0) throw takeError(code, errBox);
  }
}

// One database transaction from Platform.begin(): call() and record() run inside it and see its
// uncommitted writes; a call that fails undoes only its own writes and the transaction goes on.
class Transaction extends Handle {
  closedError() {
    return new DairaError(9, 'the transaction is over', 'tx', []);
  }

  // Commits and ends the transaction whatever the outcome (a failed commit rolls back): throws a
  // DairaError — 'ABORTED': retry the whole transaction; 'FAILED_PRECONDITION': it was over already
  // (committed, rolled back, or its platform closed: nothing was written).
  commit() {
    if (this.handle === null) throw this.closedError();
    this.#end(c.commit);
  }

  // Discards the transaction's writes and ends it. A no-op once it is over.
  rollback() {
    if (this.handle === null) return;
    this.#end(c.rollback);
  }

  #end(fn) {
    const box = [this.handle];
    const errBox = [null];
    this.handle = null;  // the library frees the handle in every case
    const code = fn(box, errBox);
    if (code !== 0) throw takeError(code, errBox);
  }
}

function open(url, options = {}) {
  const opts = encode(options);
  const out = [null];
  const errBox = [null];
  const code = c.open(url, Buffer.byteLength(url), opts, Buffer.byteLength(opts), out, errBox);
  if (code !== 0) throw takeError(code, errBox);
  return new Platform(out[0]);
}

module.exports = { open, version: () => c.version(), DairaError, Platform, Transaction, Subscription };
