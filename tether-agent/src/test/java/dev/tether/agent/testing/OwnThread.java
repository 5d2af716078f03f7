package dev.tether.agent.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a test's blocking task (an accept, a dial, a session) on a thread of its own. Not the common pool: on
 * two cores it has one thread, and one task blocked on a socket there stalls every other.
 */
public final class OwnThread {

    private OwnThread() {
    }

    public static <T> CompletableFuture<T> call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("test-task").start(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }
}
