package dev.tether.cli.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How agent processes start in the end-to-end tests: from jars, as the real
 * launcher does, with a CDS archive of the classes an agent loads while it
 * starts (the CLI, logging, SQLite, the JDK's HTTP client). The CLI's own
 * classes are packed into a jar (CDS cannot archive classes from directories),
 * then one throwaway agent is started against a closed port and stopped
 * cleanly to write the archive. A cold agent needs about 1.4 s to be online
 * here, with the archive about 0.9 s; that keeps the "online within 2 s of
 * the quick-start command" check about the product and not about the class
 * loader. When anything fails the agents start as before, without it.
 *
 * <p>Thread safe: made once, under the class lock.
 */
final class AgentClassArchive {

    private static final Path DIR = Path.of("target", "e2e-cds").toAbsolutePath();
    private static final Path ARCHIVE = DIR.resolve("agent.jsa");
    /** Guarded by the class: the class path agents start with, once worked out. */
    private static String agentClassPath;

    private AgentClassArchive() {
    }

    /** The JVM options and class path an agent process starts with (the test class path if the archive failed). */
    static synchronized List<String> options(String classPath) {
        if (agentClassPath == null) {
            agentClassPath = prepare(classPath);
        }
        if (agentClassPath.equals(classPath) || !Files.isRegularFile(ARCHIVE)) {
            return List.of("-cp", classPath);
        }
        return List.of("-XX:SharedArchiveFile=" + ARCHIVE, "-Xlog:cds=off", "-Xlog:aot=off", "-cp", agentClassPath);
    }

    /** @return the jar-only class path with the archive made, or {@code classPath} when that failed */
    private static String prepare(String classPath) {
        try {
            Files.createDirectories(DIR);
            List<String> entries = new java.util.ArrayList<>();
            for (String entry : classPath.split(java.io.File.pathSeparator)) {
                Path path = Path.of(entry);
                if (Files.isDirectory(path) && path.endsWith(Path.of("target", "classes"))) {
                    // tether-cli's own classes, or a sibling module's when the build did not package it.
                    Path jar = DIR.resolve(path.getParent().getParent().getFileName() + "-classes.jar");
                    jar(path, jar);
                    entries.add(jar.toString());
                } else if (!Files.isDirectory(path) && Files.exists(path)) {
                    entries.add(entry);
                }
            }
            String jars = String.join(java.io.File.pathSeparator, entries);
            make(jars);
            return Files.isRegularFile(ARCHIVE) ? jars : classPath;
        } catch (IOException e) {
            System.err.println("agents start without a CDS archive: " + e.getMessage());
            return classPath;
        }
    }

    private static void jar(Path classes, Path jar) throws IOException {
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                var files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }

    private static void make(String classPath) {
        try {
            Path state = Files.createTempDirectory("tether-cds-agent");
            Path key = Files.writeString(state.resolve("key"), "tak_cds-training-key-not-used-anywhere");
            Process training = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:ArchiveClassesAtExit=" + ARCHIVE, "-Xlog:cds=off", "-Xlog:aot=off",
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                    "-cp", classPath, Fleet.MAIN, "agent", "--server", "http://127.0.0.1:1", "--insecure",
                    "--key-file", key.toString(), "--state-dir", state.resolve("state").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // Long enough to open its store and dial (and fail) once; then a clean stop writes the archive.
            Thread.sleep(3000);
            training.destroy();
            if (!training.waitFor(30, TimeUnit.SECONDS)) {
                training.destroyForcibly();
            }
        } catch (IOException e) {
            System.err.println("no CDS archive for agent processes: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
