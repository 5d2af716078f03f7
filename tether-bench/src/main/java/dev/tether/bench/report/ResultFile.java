package dev.tether.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * Where a scenario's results go: {@code <results-dir>/<scenario>-<yyyyMMdd-HHmmss>.json}
 * (pretty JSON, one document per run) and charts beside it as
 * {@code <scenario>-<stamp>-<name>.png}. Thread safe (stateless after construction).
 */
public final class ResultFile {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final Path dir;
    private final String prefix;

    private ResultFile(Path dir, String prefix) {
        this.dir = dir;
        this.prefix = prefix;
    }

    public static ResultFile create(Path resultsDir, String scenario) {
        return new ResultFile(resultsDir, scenario + "-" + LocalDateTime.now().format(STAMP));
    }

    public Path json() {
        return dir.resolve(prefix + ".json");
    }

    public Path chart(String name) {
        return dir.resolve(prefix + "-" + name + ".png");
    }

    public Path write(Map<String, Object> document) throws IOException {
        Files.createDirectories(dir);
        Path file = json();
        Files.writeString(file, Json.pretty(document));
        return file;
    }
}
