package dev.tether.agent.state;

/**
 * The state store could not read or write {@code agent.db}: the disk is full, the
 * file is damaged or unreadable. The message names the operation and the file.
 */
public final class StateStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StateStoreException(String message) {
        super(message);
    }
}
