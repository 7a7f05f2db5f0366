// The client matrix's scenario (../client_matrix.py) through the npm `memcached` client (text
// protocol). Usage: node npm_memcached.js ascii=PORT; prints the JSON results.
'use strict';
const Memcached = require('memcached');

const KEY = 'matrix:';
const TOUCH_TTL = 1000;

// The client's calls as promises of [err, result].
function call(client, method, ...args) {
  return new Promise((resolve) => client[method](...args, (err, result) => resolve([err, result])));
}

async function scenario(m) {
  const big = '0123456789abcdef'.repeat(32000);
  // A miss is undefined (get) or false (incr/decr); a refused store is false or an error.
  const value = async (...args) => {
    const [err, result] = await call(m, ...args);
    if (err) throw err;
    return result === undefined || result === false ? null : result;
  };
  const ok = async (...args) => (await call(m, ...args))[1] === true;
  const r = {};
  r.get_raw = await value('get', KEY + 'raw');
  r.set = await ok('set', KEY + 'k1', 'v1', 0);
  r.get = await value('get', KEY + 'k1');
  r.get_missing = await value('get', KEY + 'missing');
  await ok('set', KEY + 'k2', 'v2', 0);
  r.get_multi = await value('getMulti', [KEY + 'k1', KEY + 'k2', KEY + 'missing', KEY + 'raw']);
  r.add_existing = await ok('add', KEY + 'k1', 'x', 0);
  r.add_new = await ok('add', KEY + 'k3', 'a', 0);
  r.replace_existing = await ok('replace', KEY + 'k3', 'r', 0);
  r.replace_missing = await ok('replace', KEY + 'missing', 'r', 0);
  r.get_replaced = await value('get', KEY + 'k3');
  const cas = (await value('gets', KEY + 'k1')).cas;
  r.cas_fresh = await ok('cas', KEY + 'k1', 'c1', cas, 0);
  r.cas_stale = await ok('cas', KEY + 'k1', 'c2', cas, 0);
  r.get_cas = await value('get', KEY + 'k1');
  await ok('set', KEY + 'n', '10', 0);
  r.incr = await value('incr', KEY + 'n', 5);
  r.decr = await value('decr', KEY + 'n', 20);
  r.incr_missing = await value('incr', KEY + 'nocounter', 1);
  r.delete = await ok('del', KEY + 'k2');
  r.delete_again = await ok('del', KEY + 'k2');
  r.get_deleted = await value('get', KEY + 'k2');
  r.touch = await ok('touch', KEY + 'k1', TOUCH_TTL);
  r.touch_missing = await ok('touch', KEY + 'missing', TOUCH_TTL);
  r.set_big = await ok('set', KEY + 'big', big, 0);
  r.get_big_matches = (await value('get', KEY + 'big')) === big;
  return r;
}

async function main() {
  const results = {};
  for (const arg of process.argv.slice(2)) {
    const [protocol, port] = arg.split('=');
    // No retries or failover: a failed call is an error here, not a silent miss.
    const m = new Memcached(
        '127.0.0.1:' + port, {retries: 0, failures: 0, timeout: 10000, maxValue: 2 << 20});
    results[protocol] = await scenario(m);
    m.end();
  }
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
