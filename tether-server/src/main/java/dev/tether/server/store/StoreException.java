package dev.tether.server.store;

import java.sql.SQLException;

/** A database call failed; the message says which operation, the cause holds the driver's error. */
public class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(String operation, SQLException cause) {
        super(operation + " failed: " + cause.getMessage(), cause);
    }

    /** For subclasses whose message is not "operation failed: cause". */
    StoreException(SQLException cause, String message) {
        super(message, cause);
    }
}
