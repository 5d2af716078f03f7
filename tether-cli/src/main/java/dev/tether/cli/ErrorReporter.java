package dev.tether.cli;

import dev.tether.cli.ops.ApiException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns failures a user can fix into one clear line on stderr and exit code 2;
 * anything unexpected keeps its stack trace (exit code 1).
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    static final int USAGE = 2;
    static final int FAILURE = 1;

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            err.println("tether: " + e.getMessage());
            err.flush();
            return USAGE;
        }
        if (e instanceof ApiException api) {
            err.println("tether: " + api.getMessage());
            err.flush();
            return FAILURE;
        }
        e.printStackTrace(err);
        err.flush();
        return FAILURE;
    }
}
