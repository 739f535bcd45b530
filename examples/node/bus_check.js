// A check of the event bus and real-time calls through the wrapper, across two processes: this process
// opens an SQLite file and subscribes to "topic:jobs"; a second Node process (this script with
// "produce") opens the same file and enqueues a job; this process claims it with bus_next (lease token),
// reports progress, publishes on the channel and reads the message back from its subscription, then
// completes the job; a second complete with the same lease token is FAILED_PRECONDITION. Prints
// "node bus: ok"; exits 1 otherwise. (The real-time hub here is memory:, so the message is this
// process's own; across processes it takes realtime=redis://.)
//
//   DAIRA_C_LIB=/path/to/libdaira_c.so node bus_check.js
'use strict';

const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const daira = require('./daira');

const options = (dir) => ({ password_cost: 'test', blobs: `file:${path.join(dir, 'blobs')}` });

function produce(dir) {
  const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, options(dir));
  const job = db.call('bus_enqueue',
                      { queue: 'notification.push', name: 'welcome', payload: { from: 'producer', pid: process.pid } });
  db.close();
  process.stdout.write(job.id);
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daira-node-bus-'));
  try {
    const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, options(dir));
    const sub = db.subscribe({ target: 'topic:jobs' });
    // The producer: another process on the same database.
    const child = childProcess.spawnSync(process.execPath, [__filename, 'produce', dir], { encoding: 'utf8' });
    assert.strictEqual(child.status, 0, child.stderr);
    const enqueuedId = child.stdout.trim();

    const claimed = db.call('bus_next', { queue: 'notification.push', worker: 'node-1', timeout_ms: 5000 });
    assert.ok(claimed.job, 'no job claimed');
    assert.strictEqual(claimed.job.id, enqueuedId);
    assert.strictEqual(claimed.job.payload.from, 'producer');
    assert.notStrictEqual(claimed.job.payload.pid, process.pid);
    const lease = { id: claimed.job.id, lease_token: claimed.job.lease_token };
    db.call('bus_progress', { ...lease, progress: { pct: 50 } });

    const published = db.call('realtime_publish', { channel: 'topic:jobs', payload: JSON.stringify({ job: lease.id }) });
    assert.strictEqual(published.sequence, '1');
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
  produce(process.argv[3]);
} else {
  try {
    main();
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
}
