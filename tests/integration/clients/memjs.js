// The client matrix's scenario (../client_matrix.py) through memjs (binary protocol only).
// memjs 1.3 offers no multi-get and no cas: those steps are left out (NOT_OFFERED in
// test_memjs.py), and k1 gets the value the cas step would give it with a set.
// Usage: node memjs.js binary=PORT; prints the JSON results.
'use strict';
const memjs = require('memjs');

const KEY = 'matrix:';
const TOUCH_TTL = 1000;

async function scenario(m) {
  const big = '0123456789abcdef'.repeat(32000);
  const value = async (key) => {
    const got = (await m.get(key)).value;
    return got === null ? null : got.toString();
  };
  const counter = async (method, key, amount) => {
    const {success, value} = await m[method](key, amount, {});
    return success ? value : null;
  };
  const r = {};
  r.get_raw = await value(KEY + 'raw');
  r.set = await m.set(KEY + 'k1', 'v1', {});
  r.get = await value(KEY + 'k1');
  r.get_missing = await value(KEY + 'missing');
  await m.set(KEY + 'k2', 'v2', {});
  r.add_existing = await m.add(KEY + 'k1', 'x', {});
  r.add_new = await m.add(KEY + 'k3', 'a', {});
  r.replace_existing = await m.replace(KEY + 'k3', 'r', {});
  r.replace_missing = await m.replace(KEY + 'missing', 'r', {});
  r.get_replaced = await value(KEY + 'k3');
  await m.set(KEY + 'k1', 'c1', {});
  r.get_cas = await value(KEY + 'k1');
  await m.set(KEY + 'n', '10', {});
  r.incr = await counter('increment', KEY + 'n', 5);
  r.decr = await counter('decrement', KEY + 'n', 20);
  r.incr_missing = await counter('increment', KEY + 'nocounter', 1);
  r.delete = await m.delete(KEY + 'k2');
  r.delete_again = await m.delete(KEY + 'k2');
  r.get_deleted = await value(KEY + 'k2');
  r.touch = await m.touch(KEY + 'k1', TOUCH_TTL);
  r.touch_missing = await m.touch(KEY + 'missing', TOUCH_TTL);
  r.set_big = await m.set(KEY + 'big', big, {});
  r.get_big_matches = (await value(KEY + 'big')) === big;
  return r;
}

async function main() {
  const results = {};
  for (const arg of process.argv.slice(2)) {
    const [protocol, port] = arg.split('=');
    // No retries and no failover: a failed call is an error here.
    const m = memjs.Client.create(
        '127.0.0.1:' + port, {retries: 0, failover: false, timeout: 10, logger: console});
    results[protocol] = await scenario(m);
    m.close();
  }
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
