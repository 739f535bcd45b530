// A check of the wrapper's record() binding (the typed-repository calls, which take a field mask):
// a masked wallet read, a get_many, a follows page, the session token hashes refused naming "fields",
// record calls inside a transaction (begin/commit, transaction() rolling back on a throw), and
// record()/call() refusing a name bound the other way; the typed single-id calls (byId) against their
// JSON calls, a record larger than the reused buffer, NOT_FOUND and a bad id. Prints "node records: ok"; exits 1 otherwise.
//
//   DAIRA_C_LIB=/path/to/libdaira_c.so node records_check.js
'use strict';

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const daira = require('./daira');

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daira-node-records-'));
  try {
    const db = daira.open(`sqlite:${path.join(dir, 'app.db')}`, { password_cost: 'test' });
    const alice = db.call('accounts_register',
                          { username: 'alice', email: 'alice@example.com', password: 'correct horse battery' });
    const bob = db.call('accounts_register',
                        { username: 'bob', email: 'bob@example.com', password: 'correct horse battery' });
    const wallet = db.call('wallets_create', { user_id: alice.id, currency: 'EUR' });

    const masked = db.record('wallets_get', { id: wallet.id }, 'balance,currency');
    assert.deepStrictEqual(masked, { id: wallet.id, balance: 0, currency: 'EUR' });
    const full = db.record('wallets_get', { id: wallet.id });
    assert.strictEqual(full.user_id, alice.id);
    const many = db.record('wallets_get_many', [wallet.id, '987654321'], 'currency');
    assert.deepStrictEqual(many.missing, ['987654321']);
    assert.strictEqual(many.items.length, 1);

    const follow = db.call('social_follow', { follower_id: bob.id, followee_id: alice.id });
    const page = db.record('follows_list_by_followee', { followee_id: alice.id, limit: 5 }, 'follower_id');
    assert.deepStrictEqual(page.items, [{ id: follow.id, follower_id: bob.id }]);

    const login = db.call('accounts_login', { identifier: 'alice', password: 'correct horse battery' });
    const session = db.record('sessions_get', { id: login.session_id });
    assert.ok(!JSON.stringify(session).includes('token_hash'));
    assert.throws(() => db.record('sessions_get', { id: login.session_id }, 'refresh_token_hash'),
                  (e) => e instanceof daira.DairaError && e.codeName === 'INVALID_ARGUMENT' && e.field === 'fields');
    assert.throws(() => db.record('wallets_get', { id: '987654321' }),
                  (e) => e instanceof daira.DairaError && e.codeName === 'NOT_FOUND');

    // In a transaction: a write and a record read of it, invisible outside until commit; a throw rolls
    // back; a failed call inside leaves the transaction usable.
    const tx = db.begin();
    const bobWallet = tx.call('wallets_create', { user_id: bob.id });
    assert.deepStrictEqual(tx.record('wallets_find_by_user', { user_id: bob.id }, 'currency'),
                           { id: bobWallet.id, currency: 'USD' });
    assert.throws(() => db.record('wallets_find_by_user', { user_id: bob.id }),
                  (e) => e instanceof daira.DairaError && e.codeName === 'NOT_FOUND');
    assert.throws(() => tx.call('wallets_create', { user_id: bob.id }),
                  (e) => e instanceof daira.DairaError && e.codeName === 'ALREADY_EXISTS' && e.field === 'user_id');
    tx.commit();
    assert.strictEqual(db.record('wallets_find_by_user', { user_id: bob.id }, 'id').id, bobWallet.id);
    assert.throws(() => tx.call('users_count', {}), (e) => e instanceof daira.DairaError && e.field === 'tx');
    assert.throws(() => db.transaction((t) => {
      t.call('accounts_register', { username: 'carol', email: 'carol@example.com', password: 'correct horse battery' });
      throw new Error('boom');
    }, { isolation: 'serializable' }), /boom/);
    assert.strictEqual(db.call('users_count', {}).count, 2);
    assert.throws(() => db.begin('chaos'),
                  (e) => e instanceof daira.DairaError && e.codeName === 'INVALID_ARGUMENT' && e.field === 'isolation');

    // byId: the JSON call's record (ids as strings, BigInts or safe Numbers); a post larger than the
    // wrapper's first buffer (it grows and calls again); NOT_FOUND; a bad id is a TypeError.
    assert.deepStrictEqual(db.byId('users_get', alice.id), db.call('users_get', { id: alice.id }));
    assert.deepStrictEqual(db.byId('profiles_stats', BigInt(bob.id)), db.call('profiles_stats', { user_id: bob.id }));
    assert.deepStrictEqual(db.byId('profiles_get', alice.id), db.call('profiles_get', { user_id: alice.id }));
    const long = db.call('content_create_post', { author_id: alice.id, content: '\u{1F600}'.repeat(5000) });  // 20 kB
    assert.deepStrictEqual(db.byId('content_get_post', long.id), db.call('content_get_post', { post_id: long.id }));
    assert.throws(() => db.byId('users_get', 987654321),
                  (e) => e instanceof daira.DairaError && e.codeName === 'NOT_FOUND');
    assert.throws(() => db.byId('users_get', 'alice'), TypeError);
    assert.strictEqual(db.byId('users_get', alice.id).username, 'alice');  // the error box was freed and reused

    // A name is bound one way only: wallets_get is a record call, wallets_create a service call.
    assert.throws(() => db.call('wallets_get', { id: wallet.id }), TypeError);
    assert.throws(() => db.record('wallets_create', { user_id: bob.id }), TypeError);
    db.close();
    console.log('node records: ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
