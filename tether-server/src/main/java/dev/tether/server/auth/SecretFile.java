package dev.tether.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A file holding one secret on one line, readable by its owner only (mode
 * 0600 where the file system has POSIX permissions). Written atomically: a
 * private temp file renamed over the target, so a reader never sees half a secret.
 */
public final class SecretFile {

    private SecretFile() {
    }

    /** The secret in {@code file}, or null when the file does not exist or is blank. */
    public static String read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        String secret = Files.readString(file, StandardCharsets.UTF_8).trim();
        return secret.isEmpty() ? null : secret;
    }

    public static void write(Path file, String secret) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = posix()
                ? Files.createTempFile(dir, ".secret", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, ".secret", ".tmp");
        try {
            Files.writeString(temp, secret + "\n", StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
