package dev.tether.bench.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A slow disk for the processes it is given to: an {@code LD_PRELOAD} library,
 * compiled here with {@code gcc}, that wraps {@code fsync} and {@code fdatasync}
 * (what SQLite, PostgreSQL's WAL and the JVM's {@code force} call to make a
 * commit durable) with a sleep read from a control file at each call. Writing
 * the file starts and ends a slow spell without restarting anything; an empty
 * or missing file means full speed. Only durability calls are slowed: reads and
 * buffered writes stay as fast as the page cache, as on a real disk whose
 * flushes stall. Not thread safe (one owner writes the control file).
 */
public final class SlowDisk {

    static final String CONTROL_VARIABLE = "TETHER_SLOW_DISK_FILE";
    private static final String SOURCE = """
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <fcntl.h>
            #include <stdlib.h>
            #include <unistd.h>

            /* Microseconds to sleep before each flush, read from the control file on every call. */
            static long delay_us(void) {
                const char *path = getenv("%s");
                if (path == NULL) return 0;
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) return 0;
                char buf[32];
                ssize_t n = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (n <= 0) return 0;
                buf[n] = 0;
                return strtol(buf, NULL, 10);
            }

            int fsync(int fd) {
                static int (*real)(int);
                if (real == NULL) real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
                long d = delay_us();
                if (d > 0) usleep((useconds_t) d);
                return real(fd);
            }

            int fdatasync(int fd) {
                static int (*real)(int);
                if (real == NULL) real = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
                long d = delay_us();
                if (d > 0) usleep((useconds_t) d);
                return real(fd);
            }
            """.formatted(CONTROL_VARIABLE);

    private final Path library;
    private final Path control;

    private SlowDisk(Path library, Path control) {
        this.library = library;
        this.control = control;
    }

    /** Compiles the library into {@code workDir}; needs {@code gcc} (Debian: {@code apt-get install gcc}). */
    public static SlowDisk build(Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path source = workDir.resolve("slowdisk.c").toAbsolutePath();
        Path library = workDir.resolve("libslowdisk.so").toAbsolutePath();
        Files.writeString(source, SOURCE);
        Process gcc = new ProcessBuilder(List.of("gcc", "-O2", "-shared", "-fPIC", "-o", library.toString(),
                source.toString(), "-ldl")).redirectErrorStream(true).start();
        String output = new String(gcc.getInputStream().readAllBytes());
        if (gcc.waitFor() != 0) {
            throw new IOException("gcc could not build the slow-disk library (install gcc, or run without "
                    + "--slow-disk): " + output);
        }
        SlowDisk disk = new SlowDisk(library, workDir.resolve("slowdisk.delay").toAbsolutePath());
        disk.fast();
        return disk;
    }

    /** The environment that slows a process's flushes while a spell lasts. */
    public Map<String, String> environment() {
        return Map.of("LD_PRELOAD", library.toString(), CONTROL_VARIABLE, control.toString());
    }

    /** Every flush of the processes started with {@link #environment} sleeps {@code delay} first. */
    public void slow(Duration delay) throws IOException {
        Files.writeString(control, Long.toString(delay.toNanos() / 1000));
    }

    /** Flushes at full speed again. */
    public void fast() throws IOException {
        Files.writeString(control, "");
    }
}
