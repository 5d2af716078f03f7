package dev.tether.cli.ops;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Reads a password without echo from the terminal, or one line from stdin for scripts. Never from an argument. */
final class Passwords {

    private Passwords() {
    }

    static String read(boolean fromStdin, String prompt) throws IOException {
        if (fromStdin) {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw new IllegalArgumentException("--password-stdin read no password: pipe it in, one line");
            }
            return line;
        }
        Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("no terminal to ask for the password: pass --password-stdin and pipe it in");
        }
        char[] password = console.readPassword("%s", prompt);
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("no password given");
        }
        return new String(password);
    }
}
