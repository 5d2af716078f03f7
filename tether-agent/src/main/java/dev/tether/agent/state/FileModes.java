package dev.tether.agent.state;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the state dir and its files readable by the agent's user only: the
 * outbox may hold anything the agent reports and the config anything an
 * operator sends. Modes are set explicitly after creation, so the umask does not
 * matter. On file systems without POSIX permissions this does nothing.
 */
public final class FileModes {

    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private static final Logger log = LoggerFactory.getLogger(FileModes.class);
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private FileModes() {
    }

    /** Creates {@code dir} (and missing parents) with mode 0700 when it does not exist. */
    public static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            warnIfOpen(dir);
            return;
        }
        if (Files.exists(dir)) {
            throw new IOException("state dir " + dir + " exists and is not a directory");
        }
        Files.createDirectories(dir);
        if (POSIX) {
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
        }
    }

    /** Creates {@code file} empty with mode 0600, or narrows an existing file to 0600. */
    public static void createPrivateFile(Path file) throws IOException {
        try {
            if (POSIX) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            // Fine: narrowed below.
        }
        restrict(file);
    }

    /** Narrows an existing file to 0600; does nothing when it is missing. */
    public static void restrict(Path file) throws IOException {
        if (!POSIX || !Files.exists(file)) {
            return;
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (!mode.equals(PRIVATE_FILE)) {
            if (!PRIVATE_FILE.containsAll(mode)) {
                log.warn("{} was {}; narrowing it to rw-------", file, PosixFilePermissions.toString(mode));
            }
            Files.setPosixFilePermissions(file, PRIVATE_FILE);
        }
    }

    private static void warnIfOpen(Path dir) throws IOException {
        if (!POSIX) {
            return;
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
        if (mode.contains(PosixFilePermission.OTHERS_WRITE) || mode.contains(PosixFilePermission.GROUP_WRITE)) {
            log.warn("state dir {} is writable by other users ({}); chmod 700 it", dir,
                    PosixFilePermissions.toString(mode));
        }
    }
}
