package dev.tether.cli;

import dev.tether.agent.state.StateStoreException;
import dev.tether.cli.ops.ApiException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns failures a user can fix into one clear line on stderr: exit code 2 for a bad command line or value, 1
 * for what the server refused and for an agent state that cannot be used; anything unexpected keeps its stack
 * trace (exit code 1).
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    static final int USAGE = 2;
    static final int FAILURE = 1;

    /** A bad command line (or a bad value from the environment or a config file): the error, then the usage. */
    static int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof FlagDefaults.ConfigFileException config) {
                err.println("tether: " + config.getMessage());
                err.flush();
                return USAGE;
            }
        }
        err.println(e.getMessage() + FlagDefaults.note(cmd, e.getMessage()));
        if (!UnmatchedArgumentException.printSuggestions(e, err)) {
            cmd.usage(err);
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            err.println("tether: " + e.getMessage() + FlagDefaults.note(cmd, e.getMessage()));
            err.flush();
            return USAGE;
        }
        if (e instanceof ApiException || e instanceof StateStoreException) {
            // Both are written for the user: what the server refused, or what is wrong with the agent's state dir
            // (in use, read-only, newer, damaged) and what to do.
            err.println("tether: " + e.getMessage());
            err.flush();
            return FAILURE;
        }
        e.printStackTrace(err);
        err.flush();
        return FAILURE;
    }
}
