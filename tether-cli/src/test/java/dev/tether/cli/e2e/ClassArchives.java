package dev.tether.cli.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How the end-to-end tests start their JVMs: from jars, as the real launchers
 * do, with a CDS archive of the classes each kind of process loads while it
 * starts. The CLI's own classes are packed into a jar (CDS cannot archive
 * classes from directories); then one throwaway process of each kind is
 * started and stopped cleanly to write its archive.
 *
 * <ul>
 * <li>{@link Kind#AGENT}: an agent against a closed port (the CLI, logging,
 *     SQLite, the JDK's HTTP client). A cold agent needs about 1.4 s to be
 *     online here, with the archive about 0.9 s; that keeps the "online within
 *     2 s of the quick-start command" check about the product and not about
 *     the class loader.
 * <li>{@link Kind#SERVER}: a server on an empty data dir until it listens
 *     (Vert.x, Netty, the store). It also serves the CLI's commands, which load
 *     a part of the same classes. About a quarter less CPU per start (3.1–3.4 s
 *     against 2.1–2.8 s here), and the suite starts about a hundred of them.
 * </ul>
 *
 * When anything fails the processes start as before, without an archive.
 *
 * <p>Thread safe: made once per kind, under the class lock.
 */
final class ClassArchives {

    /** Which archive a process starts with. */
    enum Kind {
        AGENT, SERVER
    }

    private static final Path DIR = Path.of("target", "e2e-cds").toAbsolutePath();
    /** Guarded by the class: the jar-only class path, once worked out (null: not yet; the test class path: failed). */
    private static String jarClassPath;
    /** Guarded by the class: the archives made so far (a kind whose training failed maps to null). */
    private static final Map<Kind, Path> ARCHIVES = new EnumMap<>(Kind.class);

    private ClassArchives() {
    }

    /** The JVM options and class path a process of this kind starts with (the test class path if it failed). */
    static synchronized List<String> options(Kind kind, String classPath) {
        if (jarClassPath == null) {
            jarClassPath = jarOnly(classPath);
        }
        if (jarClassPath.equals(classPath)) {
            return List.of("-cp", classPath);
        }
        if (!ARCHIVES.containsKey(kind)) {
            Path archive = DIR.resolve(kind.name().toLowerCase(java.util.Locale.ROOT) + ".jsa");
            train(kind, archive);
            ARCHIVES.put(kind, Files.isRegularFile(archive) ? archive : null);
        }
        Path archive = ARCHIVES.get(kind);
        if (archive == null) {
            return List.of("-cp", classPath);
        }
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:aot=off", "-cp", jarClassPath);
    }

    /** @return the class path with class directories packed into jars, or {@code classPath} when that failed */
    private static String jarOnly(String classPath) {
        try {
            Files.createDirectories(DIR);
            List<String> entries = new ArrayList<>();
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
            return String.join(java.io.File.pathSeparator, entries);
        } catch (IOException e) {
            System.err.println("processes start without CDS archives: " + e.getMessage());
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

    /** Runs one process of the kind to its warm point and stops it cleanly, which writes the archive. */
    private static void train(Kind kind, Path archive) {
        Process training = null;
        try {
            Files.deleteIfExists(archive);
            Path state = Files.createTempDirectory("tether-cds-" + kind.name().toLowerCase(java.util.Locale.ROOT));
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off", "-Xlog:aot=off",
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                    "-cp", jarClassPath, Fleet.MAIN));
            Path output = state.resolve("output.txt");
            if (kind == Kind.AGENT) {
                Path key = Files.writeString(state.resolve("key"), "tak_cds-training-key-not-used-anywhere");
                command.addAll(List.of("agent", "--server", "http://127.0.0.1:1", "--insecure",
                        "--key-file", key.toString(), "--state-dir", state.resolve("state").toString()));
            } else {
                command.addAll(List.of("server", "--listen", "127.0.0.1:0", "--insecure-http",
                        "--data-dir", state.resolve("data").toString()));
            }
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().put("TETHER_ADMIN_TOKEN", Fleet.ADMIN_TOKEN);
            training = builder.start();
            if (kind == Kind.AGENT) {
                // Long enough to open its store and dial (and fail) once.
                Thread.sleep(3000);
            } else {
                awaitListening(output, training);
            }
            training.destroy();
            if (!training.waitFor(30, TimeUnit.SECONDS)) {
                training.destroyForcibly();
            }
        } catch (IOException e) {
            System.err.println("no CDS archive for " + kind + " processes: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (training != null && training.isAlive()) {
                training.destroyForcibly();
            }
        }
    }

    private static void awaitListening(Path output, Process server) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && server.isAlive()) {
            if (Files.exists(output) && Files.readString(output).contains("listening on")) {
                return;
            }
            Thread.sleep(50);
        }
        System.err.println("the CDS training server did not listen; servers start without an archive");
    }
}
