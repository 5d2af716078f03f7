package dev.tether.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code tether_http_request_duration_seconds{route, method, status}}: how long the server took to answer each
 * HTTP request, from its head arriving to the end of its response.
 * <ul>
 *   <li>{@code route} is the route's template ({@code /api/v1/agents/:agent}), never the raw path, or
 *       {@code other} for a path no route declares (the web UI's files, a scanner's guesses);</li>
 *   <li>{@code method} is one of {@link #METHODS} or {@code other};</li>
 *   <li>{@code status} is the status class ({@code 2xx} ... {@code 5xx}), or {@code none} when the connection
 *       ended before a response.</li>
 * </ul>
 * Every label therefore has a bounded set of values, whatever clients send. A timer per series is kept in a
 * map, so the hot path is one lookup and a lock-free record.
 *
 * <p>Thread safe.
 */
public final class HttpTimers {

    static final String NAME = "tether.http.request.duration";
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    private final MeterRegistry registry;
    private final ConcurrentMap<Series, Timer> timers = new ConcurrentHashMap<>();

    HttpTimers(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * @param route a route template (from a bounded set: the caller's)
     * @param status the response status, 0 when none was sent
     */
    public void record(String route, String method, int status, long nanos) {
        Series series = new Series(route, methodLabel(method), statusClass(status));
        timers.computeIfAbsent(series, this::timer).record(nanos, TimeUnit.NANOSECONDS);
    }

    static String methodLabel(String method) {
        return METHODS.contains(method) ? method : "other";
    }

    static String statusClass(int status) {
        return status >= 100 && status <= 599 ? (status / 100) + "xx" : "none";
    }

    private Timer timer(Series series) {
        return Histograms.timer(NAME, "HTTP requests, from the head arriving to the end of the response",
                        Histograms.HTTP)
                .tag("route", series.route).tag("method", series.method).tag("status", series.status)
                .register(registry);
    }

    private record Series(String route, String method, String status) {
    }
}
