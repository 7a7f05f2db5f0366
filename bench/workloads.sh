# shellcheck shell=bash disable=SC2034  # the variables are read by the scripts that source this
# The workloads of `make bench`, shared by bench/compare.sh and bench/profile.sh; sourced, not run.
# Each entry: name, then cuckood-load options (besides server, duration, warm-up, seed).
common=(-t 1 --key-size 16)
workloads=(
  "mixed_90_10|-c 16 -d 16 -k 100000 --value-size 32 --get-ratio 0.9 --dist uniform --preload"
  "zipf_0.99|-c 16 -d 16 -k 100000 --value-size 32 --get-ratio 0.9 --dist zipf --theta 0.99 --preload"
  "hot_keys|-c 16 -d 16 -k 4 --value-size 32 --get-ratio 1 --dist hot --hot-keys 4 --preload"
  "large_100k|-c 8 -d 1 -k 500 --value-size 102400 --get-ratio 0.9 --dist uniform --preload"
  "binary|-c 16 -d 16 -k 100000 --value-size 32 --get-ratio 0.9 --dist uniform --preload --protocol binary"
  # 1M keys: the table and the items exceed the last-level cache. zipf_0.99_1m reads the keys
  # mixed_90_10_1m preloaded (same names and value size), so 1M keys are set once per server.
  "mixed_90_10_1m|-c 16 -d 16 -k 1000000 --value-size 32 --get-ratio 0.9 --dist uniform --preload"
  "zipf_0.99_1m|-c 16 -d 16 -k 1000000 --value-size 32 --get-ratio 0.9 --dist zipf --theta 0.99"
  "conns_500|-c 500 -d 1 --rate 10000 -k 100000 --value-size 32 --get-ratio 0.9 --dist uniform --preload"
)
# Hit ratio at -m 64: 50k keys of 400-3600 B (~1.6x the memory) read through under Zipf 0.99.
# Both servers start empty and first get the same unmeasured warm-up of 100k requests; each
# round then counts the same number of requests (not seconds), so the two hit ratios rest on
# equally many lookups whatever the servers' speeds.
hit_ratio_workload="zipf_read_through_m64|-c 16 -d 4 -k 50000 --value-size 400-3600 --get-ratio 1 --dist zipf --theta 0.99 --read-through --requests 60000"
hit_ratio_warmup=100000
# Over TLS (-Z, a certificate made per run with `openssl req`): the same requests as the plain
# workloads of the same name, through the generator's TLS client (--tls).
tls_workloads=(
  "tls_mixed_90_10|-c 16 -d 16 -k 100000 --value-size 32 --get-ratio 0.9 --dist uniform --preload --tls"
  "tls_large_100k|-c 8 -d 1 -k 500 --value-size 102400 --get-ratio 0.9 --dist uniform --preload --tls"
)
