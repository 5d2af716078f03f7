package dev.tether.agent;

/**
 * Told about each configuration the agent applies. Called on one dedicated
 * thread, one call at a time and in version order, never on the connection's
 * threads, so a slow listener does not delay heartbeats. An exception is logged
 * and does not stop later calls.
 */
@FunctionalInterface
public interface ConfigListener {

    /**
     * @param version the configuration version the server assigned
     * @param json the configuration, a UTF-8 JSON document as the operator stored it
     */
    void applied(long version, String json);
}
