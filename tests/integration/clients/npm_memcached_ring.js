// The npm `memcached` client over several servers, hashing keys with its hashring (libketama
// compatible): stores "ring:0" ... "ring:N-1" (value: the key), reads them back in one
// multi-get, and prints {"stored": count of sets that succeeded, "got": {key: value}}.
// Usage: node npm_memcached_ring.js N PORT PORT ...
'use strict';
const Memcached = require('memcached');

async function main() {
  const [count, ...ports] = process.argv.slice(2);
  const m = new Memcached(
      ports.map((port) => '127.0.0.1:' + port), {retries: 0, failures: 0, timeout: 10000});
  const call = (method, ...args) => new Promise(
      (resolve, reject) =>
          m[method](...args, (err, result) => err ? reject(err) : resolve(result)));
  const keys = Array.from({length: +count}, (_, i) => 'ring:' + i);
  let stored = 0;
  for (const key of keys) {
    if (await call('set', key, key, 0)) stored++;
  }
  const got = await call('getMulti', keys);
  m.end();
  console.log(JSON.stringify({stored, got}));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
