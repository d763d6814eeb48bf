package io.stunet.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AggregationStageTest {
    @Test
    void threadedStageTakesOneItemAtATimeInOrderAndDrainsOnClose() throws Exception {
        List<Integer> seen = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AggregationStage<Integer> stage = AggregationStage.threaded("test-aggregate", i -> {
            threads.add(Thread.currentThread().getName());
            if (i == 1) {
                firstStarted.countDown();
                await(release);
            }
            seen.add(i);
        });
        stage.accept(1);
        assertTrue(firstStarted.await(5, TimeUnit.SECONDS));
        // While item 1 is processed, handing item 2 over waits until the stage takes it: a
        // producer is held with at most one finished item, never queues more.
        Thread producer = new Thread(() -> {
            stage.accept(2);
            stage.accept(3);
        });
        producer.start();
        producer.join(300);
        assertTrue(producer.isAlive(), "a second waiting item was accepted while the stage was busy");
        assertEquals(List.of(), seen);
        release.countDown();
        producer.join(5000);
        stage.close();
        assertEquals(List.of(1, 2, 3), seen);
        assertTrue(threads.stream().allMatch("test-aggregate"::equals), threads.toString());
    }

    @Test
    void aFailingItemDoesNotStopTheStage() {
        List<Integer> seen = new CopyOnWriteArrayList<>();
        AggregationStage<Integer> stage = AggregationStage.threaded("test-failing", i -> {
            if (i == 1) {
                throw new IllegalStateException("boom");
            }
            seen.add(i);
        });
        stage.accept(1);
        stage.accept(2);
        stage.close();
        assertEquals(List.of(2), seen);
    }

    @Test
    void inlineStageRunsInTheCallingThread() {
        List<String> threads = new CopyOnWriteArrayList<>();
        AggregationStage<Integer> stage = AggregationStage.inline(i -> threads.add(Thread.currentThread().getName()));
        stage.accept(1);
        stage.close();
        assertEquals(List.of(Thread.currentThread().getName()), threads);
        assertNotEquals("test-aggregate", threads.get(0));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
