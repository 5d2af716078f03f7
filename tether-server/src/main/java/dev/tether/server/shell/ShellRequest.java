package dev.tether.server.shell;

import java.util.List;

/**
 * A client's request to open or re-attach a terminal, validated by {@link ShellEndpoint}.
 *
 * @param command the program and its arguments replacing the agent's shell; empty for the shell
 * @param attach the session to re-attach, or null to start one
 * @param actor who asks ({@code admin} for the admin token)
 * @param source the client's address
 */
public record ShellRequest(String agentId, String agentName, int rows, int cols, List<String> command, String term,
        ShellId attach, String actor, String source) {

    public static final String DEFAULT_TERM = "xterm-256color";

    public ShellRequest {
        command = List.copyOf(command);
    }
}
