package dev.tether.agent.shell;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Real programs on real PTYs for the shell's tests, with the {@link PtyReader}s opened on them; {@link #close}
 * kills the programs, then closes the readers (which wait for the exits) and the streams.
 */
final class TestTerminals implements AutoCloseable {

    private final List<PtyProcess> started = new ArrayList<>();
    private final List<PtyReader> readers = new ArrayList<>();

    /** Runs {@code script} in sh on a new PTY in {@code dir}, after {@code stty raw -echo}: output as written. */
    PtyProcess start(String script, Path dir) throws IOException {
        PtyProcess process = new PtyProcessBuilder(new String[] {"/bin/sh", "-c", "stty raw -echo; " + script})
                .setEnvironment(Map.of("PATH", System.getenv("PATH")))
                .setDirectory(dir.toString())
                .start();
        started.add(process);
        return process;
    }

    PtyReader reader(PtyProcess process) {
        PtyReader reader = PtyReader.open(process, "test-exit");
        readers.add(reader);
        return reader;
    }

    @Override
    public void close() throws IOException {
        started.forEach(PtyProcess::destroyForcibly);
        readers.forEach(PtyReader::close); // after the exits, which close() waits for
        for (PtyProcess process : started) {
            process.getInputStream().close();
            process.getOutputStream().close();
        }
    }
}
