package dev.tether.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * What Linux's {@code /proc} says about processes: a process's start time in
 * clock ticks since boot (exact, unlike the JDK's start instant, which is
 * rounded and derived from the wall clock), its process group, the kernel's
 * boot id, and which processes carry a variable in their environment.
 * Elsewhere (no {@code /proc}) every answer is empty.
 *
 * <p>Stateless and thread safe.
 */
public final class ProcFs {

    private static final Path PROC = Path.of("/proc");
    private static final Path BOOT_ID = PROC.resolve("sys/kernel/random/boot_id");
    /** Field 22 of {@code /proc/PID/stat}, counted from the state (field 3) after the command name. */
    private static final int START_TIME_INDEX = 22 - 3;
    /** Field 5, likewise. */
    private static final int PGID_INDEX = 5 - 3;

    private ProcFs() {
    }

    /** Whether this system has a {@code /proc} to ask. */
    public static boolean available() {
        return Files.isReadable(BOOT_ID);
    }

    /** The kernel's boot id, empty without {@code /proc}: a pid and start time are unique only within a boot. */
    public static String bootId() {
        try {
            return Files.readString(BOOT_ID, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** When the process started, in clock ticks since boot; empty when it is gone or there is no {@code /proc}. */
    public static OptionalLong startTicks(long pid) {
        return statField(pid, START_TIME_INDEX).map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    /** Whether the process leads its own process group (pgid = pid). */
    public static boolean leadsGroup(long pid) {
        return statField(pid, PGID_INDEX).map(pgid -> pgid == pid).orElse(false);
    }

    /**
     * The processes whose environment holds {@code name=value}, among those this user may read (its own);
     * this process and its ancestors never count.
     */
    public static List<Long> withEnvironment(String name, String value) {
        byte[] wanted = (name + "=" + value).getBytes(StandardCharsets.UTF_8);
        List<Long> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(PROC)) {
            entries.map(entry -> entry.getFileName().toString())
                    .filter(ProcFs::isPid)
                    .map(Long::parseLong)
                    .filter(pid -> !isSelfOrAncestor(pid))
                    .filter(pid -> environmentHolds(pid, wanted))
                    .forEach(found::add);
        } catch (IOException e) {
            return List.of();
        }
        return found;
    }

    private static boolean environmentHolds(long pid, byte[] wanted) {
        byte[] environ;
        try {
            environ = Files.readAllBytes(PROC.resolve(pid + "/environ"));
        } catch (IOException | SecurityException e) {
            return false; // gone, or another user's
        }
        int start = 0;
        for (int i = 0; i <= environ.length; i++) {
            if (i == environ.length || environ[i] == 0) {
                if (i - start == wanted.length && Arrays.equals(environ, start, i, wanted, 0, wanted.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    private static boolean isSelfOrAncestor(long pid) {
        for (Optional<ProcessHandle> p = Optional.of(ProcessHandle.current()); p.isPresent();
                p = p.get().parent()) {
            if (p.get().pid() == pid) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    /** A numeric field of {@code /proc/PID/stat}, by its index after the command name. */
    private static Optional<Long> statField(long pid, int index) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.UTF_8);
            // The command name is in parentheses and may itself hold spaces and parentheses.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(fields[index].strip()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
