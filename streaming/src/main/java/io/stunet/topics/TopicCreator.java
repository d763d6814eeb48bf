package io.stunet.topics;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the pipeline's topics at start-up, idempotently: topics that exist are left as
 * they are (several services may start at once and race to create them), missing ones are
 * created with the configured partitions. An existing topic with fewer partitions than
 * configured is reported, not altered, because adding partitions moves keys between them.
 *
 * <p>A created topic is not usable at once: its metadata and partition leaders reach the
 * brokers asynchronously, and a client that produces or assigns in that window gets
 * {@code UnknownTopicOrPartitionException}. So {@link #ensure} returns only once every
 * topic describes with all its partitions led, retrying with backoff within the timeout.
 * Blocking; call it before the consumers start, off the event loop.
 */
public final class TopicCreator {
    private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);
    private static final long FIRST_BACKOFF_MS = 25;
    private static final long MAX_BACKOFF_MS = 1000;

    private final Admin admin;
    private final Duration timeout;

    public TopicCreator(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** Creates the missing topics against a plaintext broker and closes the admin client again. */
    public static List<String> ensure(String bootstrap, Collection<TopicSpec> specs, Duration timeout) {
        return ensure(bootstrap, Map.of(), specs, timeout);
    }

    /**
     * Creates the missing topics and closes the admin client again.
     *
     * @param clientProperties Kafka client properties (security, TLS) applied to the admin client
     */
    public static List<String> ensure(String bootstrap, Map<String, Object> clientProperties,
                                      Collection<TopicSpec> specs, Duration timeout) {
        Map<String, Object> p = new HashMap<>(clientProperties);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        // The client insists that one request never outlasts the whole call.
        Object request = p.getOrDefault(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(millis, Integer.parseInt(request.toString().trim())));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        Admin created;
        try {
            created = Admin.create(p);
        } catch (KafkaException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new StunetException(ErrorCode.INVALID_CONFIG, "cannot create a Kafka client from the kafka.client.* settings: "
                    + cause.getMessage(), e);
        }
        try (Admin admin = created) {
            return new TopicCreator(admin, timeout).ensure(specs);
        }
    }

    /** Creates the topics that do not exist yet and waits until all are led; returns the names it created. */
    public List<String> ensure(Collection<TopicSpec> specs) {
        long deadline = System.nanoTime() + timeout.toNanos();
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
                    e.getValue().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                    created.add(e.getKey());
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw ex;
                    }
                }
            }
            Map<String, TopicDescription> described = awaitLeaders(specs, deadline);
            reportSmaller(specs, described);
            if (!created.isEmpty()) {
                LOG.info("event=topics_created topics={}", created);
            }
            return created;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException) {
                throw new StunetException(ErrorCode.INVALID_CONFIG, "Kafka authentication failed (check the kafka.client.* "
                        + "security settings and credentials): " + cause.getMessage(), cause);
            }
            if (cause instanceof AuthorizationException) {
                throw new StunetException(ErrorCode.INVALID_CONFIG, "Kafka refused an admin call for lack of permission "
                        + "(the user needs Describe on the pipeline topics, and Create where they may be missing): "
                        + cause.getMessage(), cause);
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                // The admin client's own deadline (a listener that never completes a handshake) ends
                // the same way as ours.
                throw unanswered(timeout, cause);
            }
            throw new StunetException(ErrorCode.BROKER_FAILURE, "cannot create topics: " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw unanswered(timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StunetException(ErrorCode.BROKER_FAILURE, "interrupted while creating topics", e);
        }
    }

    private static StunetException unanswered(Duration timeout, Throwable cause) {
        return new StunetException(ErrorCode.BROKER_FAILURE, "broker did not answer within " + timeout.toMillis()
                + " ms (is kafka.bootstrap right, and do kafka.client.security.protocol and the TLS/SASL settings"
                + " match the broker's listener?)", cause);
    }

    /**
     * Describes the topics until every one is visible with a leader for each partition.
     * Retriable answers (unknown topic, no leader yet, a timed-out call) are retried with
     * doubling backoff; anything else, or the deadline, fails.
     */
    private Map<String, TopicDescription> awaitLeaders(Collection<TopicSpec> specs, long deadline)
            throws ExecutionException, InterruptedException {
        List<String> names = specs.stream().map(TopicSpec::name).toList();
        long backoff = FIRST_BACKOFF_MS;
        int attempts = 0;
        Set<String> notReady = new TreeSet<>(names);
        String lastError = null;
        while (true) {
            attempts++;
            Map<String, TopicDescription> described = new HashMap<>();
            Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(names).topicNameValues();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> e : futures.entrySet()) {
                try {
                    described.put(e.getKey(), e.getValue().get(remainingMillis(deadline), TimeUnit.MILLISECONDS));
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof RetriableException)) {
                        throw ex;
                    }
                    lastError = ex.getCause().getClass().getSimpleName();
                } catch (TimeoutException ex) {
                    lastError = "TimeoutException";
                }
            }
            notReady.clear();
            for (String n : names) {
                TopicDescription d = described.get(n);
                if (d == null || d.partitions().isEmpty() || !d.partitions().stream().allMatch(TopicCreator::led)) {
                    notReady.add(n);
                }
            }
            if (notReady.isEmpty()) {
                if (attempts > 1) {
                    LOG.info("event=topics_ready attempts={}", attempts);
                }
                return described;
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new StunetException(ErrorCode.BROKER_FAILURE, "topics " + notReady + " have no leader for every partition after "
                        + timeout.toMillis() + " ms (" + attempts + " attempts" + (lastError == null ? "" : ", last " + lastError) + ")");
            }
            LOG.debug("event=topics_not_ready topics={} attempt={} backoff_ms={}", notReady, attempts, backoff);
            Thread.sleep(Math.min(backoff, left));
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
    }

    private static boolean led(TopicPartitionInfo p) {
        return p.leader() != null && !p.leader().isEmpty() && p.leader().id() >= 0;
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }

    private static void reportSmaller(Collection<TopicSpec> specs, Map<String, TopicDescription> described) {
        for (TopicSpec s : specs) {
            int actual = described.get(s.name()).partitions().size();
            if (actual < s.partitions()) {
                LOG.warn("event=topic_has_fewer_partitions topic={} partitions={} configured={}", s.name(), actual, s.partitions());
            }
        }
    }
}
