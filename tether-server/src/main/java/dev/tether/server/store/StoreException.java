package dev.tether.server.store;

import java.sql.SQLException;

/** A database call failed; the message says which operation, the cause holds the driver's error. */
public final class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(String operation, SQLException cause) {
        super(operation + " failed: " + cause.getMessage(), cause);
    }
}
