package io.reactivehub.core.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A small Redis Cluster of the test's own: {@code masters} real {@code redis-server} processes in
 * cluster mode, no replicas, slots split evenly, met and assigned with plain commands (no
 * redis-cli needed). Needs Redis 7 ({@code CLUSTER ADDSLOTSRANGE}).
 */
public final class RedisClusterProcess implements AutoCloseable {
    private final List<RedisProcess> nodes = new ArrayList<>();

    public static RedisClusterProcess start(int masters) {
        RedisClusterProcess cluster = new RedisClusterProcess();
        try {
            for (int i = 0; i < masters; i++) {
                int port = RedisProcess.freePort();
                cluster.nodes.add(RedisProcess.start(
                        port,
                        List.of(
                                "--cluster-enabled",
                                "yes",
                                "--cluster-config-file",
                                "nodes-" + port + ".conf",
                                "--cluster-node-timeout",
                                "2000")));
            }
            int per = 16384 / masters;
            for (int i = 0; i < masters; i++) {
                int from = i * per;
                int to = i == masters - 1 ? 16383 : from + per - 1;
                expectOk(cluster.nodes.get(i).command("CLUSTER ADDSLOTSRANGE " + from + " " + to));
            }
            RedisProcess first = cluster.nodes.get(0);
            for (int i = 1; i < masters; i++) {
                expectOk(first.command(
                        "CLUSTER MEET 127.0.0.1 " + cluster.nodes.get(i).port()));
            }
            for (RedisProcess node : cluster.nodes) {
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> clusterOk(node, masters));
            }
            return cluster;
        } catch (RuntimeException | AssertionError e) {
            cluster.close();
            throw e;
        }
    }

    private static boolean clusterOk(RedisProcess node, int masters) {
        String info = node.command("CLUSTER INFO");
        return info != null
                && info.contains("cluster_state:ok")
                && info.contains("cluster_slots_ok:16384")
                && info.contains("cluster_known_nodes:" + masters);
    }

    private static void expectOk(String reply) {
        if (!"+OK".equals(reply)) {
            throw new IllegalStateException("cluster setup failed: " + reply);
        }
    }

    public List<RedisProcess> nodes() {
        return nodes;
    }

    /** Seed URIs of every node, comma-separated, as {@code --redis} takes them. */
    public String uris() {
        return nodes.stream().map(RedisProcess::uri).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        nodes.forEach(RedisProcess::close);
    }
}
