package io.stunet.topics;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the pipeline's topics at start-up, idempotently: topics that exist are left as
 * they are (several services may start at once and race to create them), missing ones are
 * created with the configured partitions. An existing topic with fewer partitions than
 * configured is reported, not altered, because adding partitions moves keys between them.
 * Blocking; call it before the consumers start, off the event loop.
 */
public final class TopicCreator {
    private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);

    private final Admin admin;
    private final Duration timeout;

    public TopicCreator(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** Creates the missing topics against a broker and closes the admin client again. */
    public static List<String> ensure(String bootstrap, Collection<TopicSpec> specs, Duration timeout) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(p)) {
            return new TopicCreator(admin, timeout).ensure(specs);
        }
    }

    /** Creates the topics that do not exist yet; returns the names it created. */
    public List<String> ensure(Collection<TopicSpec> specs) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (!existing.contains(s.name())) {
                    missing.add(new NewTopic(s.name(), s.partitions(), s.replication()).configs(s.configs()));
                }
            }
            List<String> created = new ArrayList<>();
            for (Map.Entry<String, KafkaFuture<Void>> e : admin.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(e.getKey());
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw ex;
                    }
                }
            }
            reportSmaller(specs);
            if (!created.isEmpty()) {
                LOG.info("event=topics_created topics={}", created);
            }
            return created;
        } catch (ExecutionException e) {
            throw new StunetException(ErrorCode.BROKER_FAILURE, "cannot create topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new StunetException(ErrorCode.BROKER_FAILURE, "broker did not answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StunetException(ErrorCode.BROKER_FAILURE, "interrupted while creating topics", e);
        }
    }

    private void reportSmaller(Collection<TopicSpec> specs)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<String, TopicDescription> described = admin.describeTopics(specs.stream().map(TopicSpec::name).toList())
                .allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        for (TopicSpec s : specs) {
            int actual = described.get(s.name()).partitions().size();
            if (actual < s.partitions()) {
                LOG.warn("event=topic_has_fewer_partitions topic={} partitions={} configured={}", s.name(), actual, s.partitions());
            }
        }
    }
}
