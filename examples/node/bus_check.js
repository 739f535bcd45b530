// A check of the event bus and real-time calls through the wrapper, across two processes: this process
// opens an SQLite file and subscribes to "topic:jobs"; a second Node process (this script with
// "produce") opens the same file and enqueues a job; this process claims it with bus_next (lease token),
// reports progress, publishes on the channel and reads the message back from its subscription, then
// completes the job; a second complete with the same lease token is FAILED_PRECONDITION. Prints
// "node bus: ok"; exits 1 otherwise. With DAIRA_TEST_REDIS=redis://… the real-time hub is that Redis
// (under a key prefix of its own, history expiring after 60 s) and the producer process also
// publishes on "topic:jobs": this process receives that message through its subscription. Without it
// the hub is memory: (in this process only), so the message is this process's own.
//
//   DAIRA_C_LIB=/path/to/libdaira_c.so [DAIRA_TEST_REDIS=redis://127.0.0.1:6379/0] node bus_check.js
'use strict';

const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const daira = require('./daira');

// The real-time URL: the shared Redis under a prefix unique to this run (the producer gets it from the
// parent), or memory:.
function realtimeUrl(prefix) {
  const redis = process.env.DAIRA_TEST_REDIS;
  if (!redis) return 'memory:';
  return `${redis}${redis.includes('?') ? '&' : '?'}prefix=${prefix}&history_ttl_ms=60000`;
}
const options = (dir, prefix) =>
  ({ password_cost: 'test', blobs: `file:${path.join(dir, 'blobs')}`, realtime: realtimeUrl(prefix) });

function produce(dir, prefix) {
  const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, options(dir, prefix));
  const job = db.call('bus_enqueue',
                      { queue: 'notification.push', name: 'welcome', payload: { from: 'producer', pid: process.pid } });
  if (process.env.DAIRA_TEST_REDIS) {
    db.call('realtime_publish', { channel: 'topic:jobs', payload: JSON.stringify({ enqueued: job.id }) });
  }
  db.close();
  process.stdout.write(job.id);
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daira-node-bus-'));
  try {
    const prefix = `daira-node-bus-${process.pid}-${Date.now()}:`;
    const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, options(dir, prefix));
    const sub = db.subscribe({ target: 'topic:jobs' });
    // The producer: another process on the same database (and the same Redis, when given).
    const child = childProcess.spawnSync(process.execPath, [__filename, 'produce', dir, prefix], { encoding: 'utf8' });
    assert.strictEqual(child.status, 0, child.stderr);
    const enqueuedId = child.stdout.trim();
    let sequence = '1';
    if (process.env.DAIRA_TEST_REDIS) {
      const fromProducer = sub.next(5000);
      assert.ok(fromProducer, 'no message from the producer process');
      assert.strictEqual(JSON.parse(fromProducer.payload).enqueued, enqueuedId);
      sequence = '2';
    }

    const claimed = db.call('bus_next', { queue: 'notification.push', worker: 'node-1', timeout_ms: 5000 });
    assert.ok(claimed.job, 'no job claimed');
    assert.strictEqual(claimed.job.id, enqueuedId);
    assert.strictEqual(claimed.job.payload.from, 'producer');
    assert.notStrictEqual(claimed.job.payload.pid, process.pid);
    const lease = { id: claimed.job.id, lease_token: claimed.job.lease_token };
    db.call('bus_progress', { ...lease, progress: { pct: 50 } });

    const published = db.call('realtime_publish', { channel: 'topic:jobs', payload: JSON.stringify({ job: lease.id }) });
    assert.strictEqual(published.sequence, sequence);
    const message = sub.next(1000);
    assert.ok(message, 'no message');
    assert.strictEqual(JSON.parse(message.payload).job, lease.id);
    assert.strictEqual(sub.next(0), null);
    sub.close();

    db.call('bus_complete', { ...lease, result: { sent: true } });
    assert.throws(() => db.call('bus_complete', lease), (e) => e.codeName === 'FAILED_PRECONDITION');
    const done = db.call('bus_get', { id: lease.id });
    assert.strictEqual(done.state, 'COMPLETED');
    assert.deepStrictEqual(done.result, { sent: true });
    db.close();
    console.log('node bus: ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'produce') {
  produce(process.argv[3], process.argv[4]);
} else {
  try {
    main();
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
}
