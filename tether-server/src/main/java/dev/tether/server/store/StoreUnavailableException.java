package dev.tether.server.store;

import java.sql.SQLException;

/**
 * A transaction could not be committed because of the database, not because of its own work: SQLite's write
 * lock was held by another connection past the busy timeout, or the commit itself failed. The message says
 * whether the change was made: {@link #outcomeUnknown()} is false when it certainly was not (retrying is
 * safe), true when the commit failed in a way that may have left it on disk (check before retrying).
 * The API answers both with 503.
 */
public final class StoreUnavailableException extends StoreException {

    private static final long serialVersionUID = 1L;

    private final boolean outcomeUnknown;

    private StoreUnavailableException(String message, SQLException cause, boolean outcomeUnknown) {
        super(cause, message);
        this.outcomeUnknown = outcomeUnknown;
    }

    /** Nothing of the transaction was committed: the caller may retry it. */
    static StoreUnavailableException notCommitted(String operation, String why, SQLException cause) {
        return new StoreUnavailableException(operation + " was not committed (" + why + ": " + cause.getMessage()
                + "); nothing was changed, retry in a moment", cause, false);
    }

    /** The commit failed and the database cannot say whether it took effect. */
    static StoreUnavailableException outcomeUnknown(String operation, SQLException cause) {
        return new StoreUnavailableException(operation + ": the commit failed (" + cause.getMessage()
                + ") and may or may not have taken effect; check the result before retrying", cause, true);
    }

    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
