// Chat across two processes through the wrapper: this process opens an SQLite file, registers alice and
// bob, creates their conversation and subscribes to bob's inbox ("user:{bob}"); a second Node process
// (this script with "send") opens the same file and sends a message as alice. With DAIRA_TEST_REDIS the
// real-time hub is that Redis (under a key prefix of its own) and the message published by the other
// process arrives on this process's subscription; without it the hub is memory: (per process), so this
// process checks the message through the database (history, unread count) and receives its own reply
// live. Then a notification, grouped. Prints "node chat: ok"; exits 1 otherwise.
//
//   DAIRA_C_LIB=/path/to/libdaira_c.so [DAIRA_TEST_REDIS=redis://127.0.0.1:6379/0] node chat_check.js
'use strict';

const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const daira = require('./daira');

function realtimeUrl(prefix) {
  const redis = process.env.DAIRA_TEST_REDIS;
  if (!redis) return 'memory:';
  return `${redis}${redis.includes('?') ? '&' : '?'}prefix=${prefix}&history_ttl_ms=60000`;
}
const options = (prefix) => ({ password_cost: 'test', realtime: realtimeUrl(prefix) });

// The next event of `type` on `sub` (others skipped), parsed.
function nextEvent(sub, type) {
  for (;;) {
    const m = sub.next(5000);
    assert.ok(m, `no ${type} event`);
    const e = JSON.parse(m.payload);
    if (e.type === type) return e;
  }
}

function send(dir, prefix, conversation, sender) {
  const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, options(prefix));
  const m = db.call('chat_send', { conversation_id: conversation, sender_id: sender, body: `hello from pid ${process.pid}` });
  db.close();
  process.stdout.write(m.id);
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daira-node-chat-'));
  try {
    const prefix = `daira-node-chat-${process.pid}-${Date.now()}:`;
    const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, options(prefix));
    const password = 'correct horse battery';
    const alice = db.call('accounts_register', { username: 'alice', email: 'alice@example.com', password });
    const bob = db.call('accounts_register', { username: 'bob', email: 'bob@example.com', password });
    const conv = db.call('chat_create_conversation', { creator_id: alice.id, member_ids: [bob.id] });
    const inbox = db.subscribe({ target: `user:${bob.id}` });

    const child = childProcess.spawnSync(process.execPath, [__filename, 'send', dir, prefix, conv.id, alice.id],
                                         { encoding: 'utf8' });
    assert.strictEqual(child.status, 0, child.stderr);
    const sentId = child.stdout.trim();
    if (process.env.DAIRA_TEST_REDIS) {
      const e = nextEvent(inbox, 'chat.message');  // published by the other process, after its commit
      assert.strictEqual(String(e.message.id), sentId);
    }
    const history = db.call('chat_history', { viewer_id: bob.id, conversation_id: conv.id, limit: 10 });
    assert.strictEqual(history.items.length, 1);
    assert.strictEqual(history.items[0].id, sentId);
    assert.strictEqual(db.call('chat_unread_count', { user_id: bob.id, conversation_id: conv.id }).unread, 1);
    db.call('chat_mark_read', { user_id: bob.id, conversation_id: conv.id, message_id: sentId });
    assert.strictEqual(db.call('chat_unread_count', { user_id: bob.id, conversation_id: conv.id }).unread, 0);

    // A message sent here arrives live here, whatever the hub.
    const aliceInbox = db.subscribe({ target: `user:${alice.id}` });
    db.call('chat_send', { conversation_id: conv.id, sender_id: bob.id, body: 'hi alice' });
    assert.strictEqual(nextEvent(aliceInbox, 'chat.message').message.body, 'hi alice');

    // Notifications: two likes of one post fold into one row, pushed each time.
    const carol = db.call('accounts_register', { username: 'carol', email: 'carol@example.com', password });
    for (const actor of [bob.id, carol.id]) {
      db.call('notifications_notify',
              { user_id: alice.id, kind: 'LIKE', actor_id: actor, target_type: 'POST', target_id: 7 });
    }
    assert.strictEqual(nextEvent(aliceInbox, 'notification').notification.actor_count, 1);
    assert.strictEqual(nextEvent(aliceInbox, 'notification').notification.actor_count, 2);
    assert.strictEqual(db.call('notifications_unread_count', { user_id: alice.id }).unread, 1);
    inbox.close();
    aliceInbox.close();
    db.close();
    console.log('node chat: ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'send') {
  send(process.argv[3], process.argv[4], process.argv[5], process.argv[6]);
} else {
  main();
}
