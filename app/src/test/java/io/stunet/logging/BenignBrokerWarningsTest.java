package io.stunet.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Exactly the broker's two benign warnings are dropped; the same loggers' other lines pass. */
class BenignBrokerWarningsTest {
    private static FilterReply decide(String logger, String message) {
        LoggerContext context = new LoggerContext();
        LoggingEvent e = new LoggingEvent(logger, context.getLogger(logger), Level.WARN, message, null, null);
        return new BenignBrokerWarnings().decide(e);
    }

    @Test
    void onlyTheKnownBenignLinesAreDropped() {
        assertEquals(FilterReply.DENY, decide("org.apache.kafka.controller.QuorumController",
                "[QuorumController id=1] Performing controller activation. The metadata log appears to be empty. Appending 6"
                        + " bootstrap record(s)"));
        assertEquals(FilterReply.DENY, decide("org.apache.kafka.clients.NetworkClient",
                "[NodeToControllerChannelManager id=1 name=registration] Attempting to close NetworkClient that has already"
                        + " been closed."));
        assertEquals(FilterReply.NEUTRAL, decide("org.apache.kafka.clients.NetworkClient",
                "[Consumer clientId=x] Connection to node -1 (/127.0.0.1:9092) could not be established. Node may not be available."));
        assertEquals(FilterReply.NEUTRAL, decide("org.apache.kafka.controller.QuorumController", "Renouncing the leadership"));
        assertEquals(FilterReply.NEUTRAL, decide("io.stunet.cli.RunCommand", "The metadata log appears to be empty"));
    }
}
