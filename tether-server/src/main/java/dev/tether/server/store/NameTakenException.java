package dev.tether.server.store;

/** An agent with this name exists already. */
public final class NameTakenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NameTakenException(String name) {
        super("an agent named '" + name + "' exists already: pick another name");
    }
}
