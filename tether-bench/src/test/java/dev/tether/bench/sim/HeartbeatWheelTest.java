package dev.tether.bench.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeartbeatWheelTest {

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stopLoop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void slotsAreTwentyMillisecondsCappedAtAThousand() {
        assertThat(HeartbeatWheel.slotsFor(TimeUnit.SECONDS.toNanos(30))).isEqualTo(1000);
        assertThat(HeartbeatWheel.slotsFor(TimeUnit.MILLISECONDS.toNanos(500))).isEqualTo(25);
        assertThat(HeartbeatWheel.slotsFor(TimeUnit.MILLISECONDS.toNanos(5))).isEqualTo(1);
    }

    @Test
    void everyOnlineMemberBeatsOncePerInterval() throws Exception {
        HeartbeatWheel wheel = new HeartbeatWheel(loop);
        List<Beating> members = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            members.add(new Beating());
        }
        long interval = TimeUnit.MILLISECONDS.toNanos(100);
        long start = System.nanoTime();
        loop.submit(() -> members.forEach(m -> wheel.add(m, interval))).sync();
        // Every member beats (a slow machine only delays it), and never more than once per interval (a fast one
        // must not beat early): no tick count that depends on how long a sleep really slept.
        await().atMost(Duration.ofSeconds(10)).until(() -> members.stream().allMatch(m -> m.ticks >= 8));
        loop.submit(wheel::stop).sync();
        long intervals = (System.nanoTime() - start) / interval;
        for (Beating m : members) {
            assertThat(m.ticks).isBetween(8, (int) intervals + 1);
        }
    }

    @Test
    void membersThatWentOfflineLeaveAndAreNotBeaten() throws Exception {
        HeartbeatWheel wheel = new HeartbeatWheel(loop);
        Beating stays = new Beating();
        Beating leaves = new Beating();
        long interval = TimeUnit.MILLISECONDS.toNanos(100);
        loop.submit(() -> {
            wheel.add(stays, interval);
            wheel.add(leaves, interval);
            leaves.online = false;
        }).sync();
        await().atMost(Duration.ofSeconds(2)).until(() -> stays.ticks >= 3);
        loop.submit(wheel::stop).sync();
        assertThat(leaves.ticks).isZero();
        assertThat(leaves.slot).isEqualTo(-1);
    }

    @Test
    void aNewIntervalRebuildsTheWheelKeepingItsMembers() throws Exception {
        HeartbeatWheel wheel = new HeartbeatWheel(loop);
        Beating first = new Beating();
        Beating second = new Beating();
        loop.submit(() -> wheel.add(first, TimeUnit.SECONDS.toNanos(30))).sync();
        loop.submit(() -> wheel.add(second, TimeUnit.MILLISECONDS.toNanos(50))).sync();
        await().atMost(Duration.ofSeconds(2)).until(() -> first.ticks >= 3 && second.ticks >= 3);
        loop.submit(wheel::stop).sync();
    }

    /** A recording member. Fields are touched on the loop and read by the test after a sync or with await. */
    private static final class Beating implements HeartbeatWheel.Member {
        volatile boolean online = true;
        volatile int ticks;
        volatile int slot = -1;

        @Override
        public boolean online() {
            return online;
        }

        @Override
        public void tick(long nowNanos) {
            ticks++;
        }

        @Override
        public int wheelSlot() {
            return slot;
        }

        @Override
        public void wheelSlot(int s) {
            slot = s;
        }
    }
}
