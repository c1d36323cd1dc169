package io.reactivehub.core.redis;

import io.reactivehub.core.BrokerContract;
import io.reactivehub.core.Hub;
import io.reactivehub.core.HubOptions;
import io.reactivehub.core.QueueLimits;
import io.reactivehub.core.testing.RedisProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The broker contract over a real Redis of the test's own: two hubs, two brokers, one Redis. */
class RedisBrokerIT extends BrokerContract {
    private static RedisProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Override
    protected Hub[] nodes() {
        return new Hub[] {node(), node()};
    }

    static Hub node() {
        return Hub.create(new HubOptions(QueueLimits.DEFAULT)
                .withChannelRules(RULES)
                .withBroker(
                        () -> RedisBroker.connect(RedisBroker.parseUris(redis.uri()), RedisBroker.Options.DEFAULT)));
    }
}
