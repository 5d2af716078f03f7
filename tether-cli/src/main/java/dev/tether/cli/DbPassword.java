package dev.tether.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where {@code tether server} gets the database password: a file
 * ({@code --db-password-file}) or the environment ({@value #ENV}), never the
 * command line, where {@code ps} and shell history would show it. A
 * {@code password=} in the {@code --db} URL is refused for that reason.
 */
final class DbPassword {

    static final String ENV = "TETHER_DB_PASSWORD";
    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)[?&;]password=");

    private DbPassword() {
    }

    /**
     * The password to log in with, or null for none.
     *
     * @param jdbcUrl {@code --db}, or null for SQLite
     * @param file {@code --db-password-file}, or null
     * @param fromEnv the value of {@value #ENV}, or null
     * @throws IllegalArgumentException when the URL carries a password, or a password is given without --db
     */
    static String resolve(String jdbcUrl, Path file, String fromEnv) throws IOException {
        if (jdbcUrl != null && URL_PASSWORD.matcher(jdbcUrl).find()) {
            throw new IllegalArgumentException("--db must not carry the password: anyone on this host can read the "
                    + "command line (ps). Remove password=... from the URL and put the password in a file passed "
                    + "with --db-password-file FILE, or in the " + ENV + " environment variable");
        }
        String password = file != null ? read(file) : blankToNull(fromEnv);
        if (password != null && jdbcUrl == null) {
            throw new IllegalArgumentException((file != null ? "--db-password-file" : ENV) + " is set but --db is not: "
                    + "the SQLite database in the data dir takes no password");
        }
        return password;
    }

    private static String read(Path file) throws IOException {
        try {
            String password = Files.readString(file).strip();
            if (password.isEmpty()) {
                throw new IllegalArgumentException("--db-password-file " + file + " is empty: put the database "
                        + "password in it");
            }
            return password;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--db-password-file " + file + " does not exist");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
