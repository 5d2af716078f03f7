package dev.tether.bench.probe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a {@code /proc} file to the end. {@code Files.readString} trusts the
 * file size, which procfs reports as 0 or 4096, and can return a truncated
 * text (it returned "3" for {@code ip_local_port_range} "32768 60999").
 */
public final class ProcFile {

    private ProcFile() {
    }

    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
