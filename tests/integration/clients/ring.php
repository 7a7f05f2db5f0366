<?php
// php-memcached over several servers with libketama's consistent hashing
// (OPT_LIBKETAMA_COMPATIBLE): stores "ring:0" ... "ring:N-1" (value: the key), reads them back
// in one multi-get, and prints {"stored": count of sets that succeeded, "got": {key: value}}.
// Usage: php ring.php N PORT PORT ...

$m = new Memcached();
$m->setOption(Memcached::OPT_LIBKETAMA_COMPATIBLE, true);
foreach (array_slice($argv, 2) as $port) {
    $m->addServer("127.0.0.1", (int)$port);
}
$keys = [];
$stored = 0;
for ($i = 0; $i < (int)$argv[1]; $i++) {
    $keys[] = "ring:$i";
    $stored += $m->set("ring:$i", "ring:$i") ? 1 : 0;
}
echo json_encode(["stored" => $stored, "got" => $m->getMulti($keys)]), "\n";
