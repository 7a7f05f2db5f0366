// The client matrix's scenario (../client_matrix.py) through spymemcached, both protocols in
// one JVM (its start is the slow part). Run as a single-file program:
//   java -cp spymemcached.jar Matrix.java PROTOCOL=PORT ...   (PROTOCOL: ascii or binary)
// Prints the JSON results.

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.CASResponse;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.ConnectionFactoryBuilder.Protocol;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.transcoders.SerializingTranscoder;

public class Matrix {
  static final String KEY = "matrix:";
  static final int TOUCH_TTL = 1000;

  static Map<String, Object> scenario(MemcachedClient m) throws Exception {
    String big = "0123456789abcdef".repeat(32000);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("get_raw", m.get(KEY + "raw"));
    r.put("set", m.set(KEY + "k1", 0, "v1").get());
    r.put("get", m.get(KEY + "k1"));
    r.put("get_missing", m.get(KEY + "missing"));
    m.set(KEY + "k2", 0, "v2").get();
    r.put("get_multi", m.getBulk(KEY + "k1", KEY + "k2", KEY + "missing", KEY + "raw"));
    r.put("add_existing", m.add(KEY + "k1", 0, "x").get());
    r.put("add_new", m.add(KEY + "k3", 0, "a").get());
    r.put("replace_existing", m.replace(KEY + "k3", 0, "r").get());
    r.put("replace_missing", m.replace(KEY + "missing", 0, "r").get());
    r.put("get_replaced", m.get(KEY + "k3"));
    long cas = m.gets(KEY + "k1").getCas();
    r.put("cas_fresh", m.cas(KEY + "k1", cas, "c1") == CASResponse.OK);
    r.put("cas_stale", m.cas(KEY + "k1", cas, "c2") == CASResponse.OK);
    r.put("get_cas", m.get(KEY + "k1"));
    m.set(KEY + "n", 0, "10").get();
    r.put("incr", counter(m.incr(KEY + "n", 5)));
    r.put("decr", counter(m.decr(KEY + "n", 20)));
    r.put("incr_missing", counter(m.incr(KEY + "nocounter", 1)));
    r.put("delete", m.delete(KEY + "k2").get());
    r.put("delete_again", m.delete(KEY + "k2").get());
    r.put("get_deleted", m.get(KEY + "k2"));
    r.put("touch", m.touch(KEY + "k1", TOUCH_TTL).get());
    r.put("touch_missing", m.touch(KEY + "missing", TOUCH_TTL).get());
    r.put("set_big", m.set(KEY + "big", 0, big).get());
    r.put("get_big_matches", big.equals(m.get(KEY + "big")));
    return r;
  }

  // spymemcached's incr/decr answer -1 for a miss.
  static Long counter(long value) { return value == -1 ? null : value; }

  static MemcachedClient connect(String protocol, int port) throws Exception {
    // Strings stored as they are (no compression), so that the test reads the same bytes raw.
    SerializingTranscoder transcoder = new SerializingTranscoder(4 << 20);
    transcoder.setCompressionThreshold(Integer.MAX_VALUE);
    return new MemcachedClient(
        new ConnectionFactoryBuilder()
            .setProtocol(protocol.equals("binary") ? Protocol.BINARY : Protocol.TEXT)
            .setTranscoder(transcoder)
            // Retry: an operation sent before the connection is up waits for it (Cancel would
            // cancel it).
            .setFailureMode(FailureMode.Retry)
            .setOpTimeout(10000)
            .build(),
        List.of(new InetSocketAddress("127.0.0.1", port)));
  }

  static String json(Object v) {
    if (v == null) return "null";
    if (v instanceof Boolean || v instanceof Number) return v.toString();
    if (v instanceof Map<?, ?> map) {
      StringBuilder out = new StringBuilder("{");
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (out.length() > 1) out.append(",");
        out.append(json(e.getKey())).append(":").append(json(e.getValue()));
      }
      return out.append("}").toString();
    }
    // The scenario's strings are ASCII without quotes or backslashes.
    return "\"" + v + "\"";
  }

  public static void main(String[] args) {
    Map<String, Object> results = new LinkedHashMap<>();
    try {
      for (String arg : args) {
        String[] protocolPort = arg.split("=");
        MemcachedClient m = connect(protocolPort[0], Integer.parseInt(protocolPort[1]));
        results.put(protocolPort[0], scenario(m));
        m.shutdown(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      e.printStackTrace();
      // The client's I/O thread would keep the JVM alive.
      System.exit(1);
    }
    System.out.println(json(results));
  }
}
