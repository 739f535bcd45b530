// daira from Node through the C ABI: open an embedded database, register two users, follow and post
// in one transaction, read the feed, tip, refund part of the tip (replayed by its key, an over-refund
// refused). Prints fixed lines ending with "node example: ok".
//
//   DAIRA_C_LIB=/path/to/libdaira_c.so node story.js
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const daira = require('./daira');

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daira-node-'));
  try {
    console.log(`daira ${daira.version()} from node`);
    // password_cost "test": the cheapest argon2id cost, for examples and tests only.
    const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, { password_cost: 'test' });

    const alice = db.call('accounts_register',
                          { username: 'alice', email: 'alice@example.com', password: 'correct horse battery' });
    const bob = db.call('accounts_register',
                        { username: 'bob', email: 'bob@example.com', password: 'correct horse battery' });
    console.log(`registered ${alice.username} and ${bob.username}`);

    // Two writes in one transaction: bob's follow and alice's post commit together, or neither does
    // (a throw inside rolls back).
    const post = db.transaction((tx) => {
      tx.call('social_follow', { follower_id: bob.id, followee_id: alice.id });
      console.log('bob follows alice');
      const created = tx.call('content_create_post', { author_id: alice.id, content: 'hello from node #daira' });
      console.log(`alice posted: ${created.content} (hashtags: ${created.hashtags.join(',')})`);
      return created;
    });
    console.log('committed: the follow and the post, in one transaction');

    const feed = db.call('feed_home', { viewer_id: bob.id, limit: 20 });
    console.log(`bob's home feed: ${feed.items.length} post(s)`);
    for (const item of feed.items) console.log(`  @${item.author.username}: ${item.content}`);
    if (feed.items.length !== 1 || feed.items[0].id !== post.id) throw new Error('the feed does not hold the post');

    // Money: bob deposits 10.00 USD (the provider confirms it), then tips alice 2.50 USD.
    const dep = db.call('money_deposit',
                        { user_id: bob.id, amount: 1000, provider: 'STRIPE', idempotency_key: 'story-deposit-1' });
    db.call('money_confirm_deposit', { transaction_id: dep.id });
    const tip = db.call('money_tip',
                        { sender_id: bob.id, receiver_id: alice.id, amount: 250, idempotency_key: 'story-tip-1' });
    const balance = db.call('money_balance', { user_id: alice.id });
    console.log(`bob tipped alice ${tip.amount} cents; alice's balance: ${balance.balance}`);

    // Refund 1.00 USD of the tip: alice gives it back; the same key again returns the same refund.
    const refundReq = { transaction_id: tip.id, amount: 100, idempotency_key: 'story-refund-1', reason: 'changed my mind' };
    const refund = db.call('money_refund', refundReq);
    if (refund.type !== 'REFUND' || refund.amount !== 100 || refund.refund_of !== tip.id) {
      throw new Error(`refund: got ${JSON.stringify(refund)}, want a REFUND of 100 of ${tip.id}`);
    }
    const again = db.call('money_refund', refundReq);
    if (again.id !== refund.id) throw new Error(`refund replayed with its key: got ${again.id}, want ${refund.id}`);
    const after = db.call('money_balance', { user_id: alice.id });
    console.log(`refunded ${refund.amount} cents of the tip; alice's balance: ${after.balance}`);
    try {
      db.call('money_refund', { transaction_id: tip.id, amount: 200, idempotency_key: 'story-refund-2' });
      throw new Error('refunding more than remains was accepted');
    } catch (e) {
      if (!(e instanceof daira.DairaError)) throw e;
      console.log(`refund of 200 more: ${e.codeName} (field ${e.field})`);
    }

    try {
      db.call('accounts_register', { username: 'alice', email: 'other@example.com', password: 'correct horse battery' });
      throw new Error('a second alice was accepted');
    } catch (e) {
      if (!(e instanceof daira.DairaError)) throw e;
      console.log(`second alice: ${e.codeName} (field ${e.field})`);
    }

    db.close();
    try {
      db.call('users_get', { id: alice.id });
      throw new Error('a call after close succeeded');
    } catch (e) {
      if (!(e instanceof daira.DairaError)) throw e;
      console.log(`after close: ${e.codeName}`);
    }
    console.log('node example: ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
