package io.stunet.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

import java.util.List;

/**
 * Drops the two warnings the embedded Kafka broker logs on every normal start and stop, which
 * say nothing is wrong: the controller activating an empty metadata log (a fresh work
 * directory), and its own controller channel closing a client twice at shutdown. Every other
 * line, of Kafka or not, passes. Configured on the stderr appender in {@code logback.xml}.
 */
public final class BenignBrokerWarnings extends Filter<ILoggingEvent> {
    private static final List<String[]> BENIGN = List.of(
            new String[]{"org.apache.kafka.controller.QuorumController", "The metadata log appears to be empty"},
            new String[]{"org.apache.kafka.clients.NetworkClient", "Attempting to close NetworkClient that has already been closed"});

    @Override
    public FilterReply decide(ILoggingEvent event) {
        for (String[] b : BENIGN) {
            if (event.getLoggerName().equals(b[0]) && event.getFormattedMessage().contains(b[1])) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
