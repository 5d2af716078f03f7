package dev.tether.agent.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The identity of the machine an agent runs on: the systemd machine id, which survives reboots and
 * differs between the machines cloned from one properly prepared image. Used to notice a state dir copied
 * to another machine (see {@link StateStore#claimHost}).
 */
public final class HostId {

    /** Where Linux keeps the machine id, in the order read. */
    private static final List<Path> MACHINE_ID_FILES = List.of(Path.of("/etc/machine-id"),
            Path.of("/var/lib/dbus/machine-id"));

    private HostId() {
    }

    /** This machine's id, or null where none is kept (not Linux, or a container without one). */
    public static String detect() {
        for (Path file : MACHINE_ID_FILES) {
            String id = read(file);
            if (id != null) {
                return id;
            }
        }
        return null;
    }

    private static String read(Path file) {
        try {
            String id = Files.readString(file).strip();
            return id.isEmpty() ? null : id;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
