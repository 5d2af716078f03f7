package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a program to its end with a bound on the time, for the tests: its exit code and both outputs. */
final class Commands {

    record Result(List<String> command, int exit, String out, String err) {

        Result assertExit(int expected) {
            assertThat(exit).as("exit of %s%nstdout: %s%nstderr: %s", command, out, err).isEqualTo(expected);
            return this;
        }
    }

    private Commands() {
    }

    /**
     * @param env added to this JVM's environment, or, when it holds {@code "-"} as a key, the whole environment
     * @param input written to the program's standard input, or null for none
     */
    static Result run(List<String> command, Map<String, String> env, String input, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (env.containsKey("-")) {
            builder.environment().clear();
            env.forEach((k, v) -> {
                if (!k.equals("-")) {
                    builder.environment().put(k, v);
                }
            });
        } else {
            builder.environment().putAll(env);
        }
        Process process = builder.start();
        CompletableFuture<String> out = read(process.getInputStream());
        CompletableFuture<String> err = read(process.getErrorStream());
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not end within " + timeout);
        }
        return new Result(command, process.exitValue(), out.join(), err.join());
    }

    private static CompletableFuture<String> read(java.io.InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }
}
