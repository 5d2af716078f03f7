package dev.tether.server.api;

import dev.tether.server.store.DbExecutor;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** Runs a handler's blocking part on the database executor and replies on the event loop. Thread safe. */
final class DbCalls {

    private final DbExecutor executor;

    DbCalls(DbExecutor executor) {
        this.executor = executor;
    }

    /** Runs {@code work} off the event loop; hands its result to {@code reply}, or its failure to the error mapping. */
    <T> void respond(RoutingContext ctx, Callable<T> work, Consumer<T> reply) {
        executor.call(Vertx.currentContext(), work)
                .onSuccess(result -> {
                    try {
                        reply.accept(result);
                    } catch (RuntimeException e) {
                        ApiResponses.failure(ctx, e);
                    }
                })
                .onFailure(failure -> ApiResponses.failure(ctx, failure));
    }
}
