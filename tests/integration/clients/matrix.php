<?php
// The client matrix's scenario (../client_matrix.py) through php-memcached.
// Usage: php matrix.php PROTOCOL=PORT ... (PROTOCOL: ascii or binary); prints the JSON results.

const KEY = "matrix:";
const TOUCH_TTL = 1000;

function scenario(Memcached $m): array
{
    $big = str_repeat("0123456789abcdef", 32000);
    $miss = fn($v) => $v === false ? null : $v;  // php-memcached's miss is false
    $r = [];
    $r["get_raw"] = $miss($m->get(KEY . "raw"));
    $r["set"] = $m->set(KEY . "k1", "v1");
    $r["get"] = $miss($m->get(KEY . "k1"));
    $r["get_missing"] = $miss($m->get(KEY . "missing"));
    $m->set(KEY . "k2", "v2");
    $r["get_multi"] = $m->getMulti([KEY . "k1", KEY . "k2", KEY . "missing", KEY . "raw"]);
    $r["add_existing"] = $m->add(KEY . "k1", "x");
    $r["add_new"] = $m->add(KEY . "k3", "a");
    $r["replace_existing"] = $m->replace(KEY . "k3", "r");
    $r["replace_missing"] = $m->replace(KEY . "missing", "r");
    $r["get_replaced"] = $miss($m->get(KEY . "k3"));
    $cas = $m->get(KEY . "k1", null, Memcached::GET_EXTENDED)["cas"];
    $r["cas_fresh"] = $m->cas($cas, KEY . "k1", "c1");
    $r["cas_stale"] = $m->cas($cas, KEY . "k1", "c2");
    $r["get_cas"] = $miss($m->get(KEY . "k1"));
    $m->set(KEY . "n", "10");
    $r["incr"] = $miss($m->increment(KEY . "n", 5));
    $r["decr"] = $miss($m->decrement(KEY . "n", 20));
    $r["incr_missing"] = $miss($m->increment(KEY . "nocounter", 1));
    $r["delete"] = $m->delete(KEY . "k2");
    $r["delete_again"] = $m->delete(KEY . "k2");
    $r["get_deleted"] = $miss($m->get(KEY . "k2"));
    $r["touch"] = $m->touch(KEY . "k1", TOUCH_TTL);
    $r["touch_missing"] = $m->touch(KEY . "missing", TOUCH_TTL);
    $r["set_big"] = $m->set(KEY . "big", $big);
    $r["get_big_matches"] = $m->get(KEY . "big") === $big;
    return $r;
}

$results = [];
foreach (array_slice($argv, 1) as $arg) {
    [$protocol, $port] = explode("=", $arg);
    $m = new Memcached();
    $m->setOption(Memcached::OPT_BINARY_PROTOCOL, $protocol === "binary");
    // Stored as they are, so that the test reads the same bytes back raw.
    $m->setOption(Memcached::OPT_COMPRESSION, false);
    $m->addServer("127.0.0.1", (int)$port);
    $results[$protocol] = scenario($m);
}
echo json_encode($results), "\n";
