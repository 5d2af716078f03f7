package dev.tether.server.auth;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directories (0700) and files (0600) of the server's data dir that only its
 * own user may read: the SQLite database, recordings, secrets. Each is created
 * with its mode (so it is never open to others, not even for an instant) and the
 * mode is then set again explicitly, so the process's umask does not matter
 * ({@code umask 000} still gives 0700 and 0600). On file systems without POSIX
 * permissions these create plain files and directories.
 *
 * <p>Thread safe: stateless.
 */
public final class PrivateFiles {

    public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {
    }

    /** Creates {@code dir} (and missing parents) 0700, or narrows an existing one to 0700. */
    public static void directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            if (POSIX) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
            } else {
                Files.createDirectories(dir);
            }
        }
        narrow(dir, DIRECTORY);
    }

    /** Creates {@code file} empty with mode 0600 when missing, else narrows it to 0600. */
    public static void file(Path file) throws IOException {
        if (!Files.exists(file)) {
            if (POSIX) {
                Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(FILE)).close();
            } else {
                Files.createFile(file);
            }
        }
        narrow(file, FILE);
    }

    /** Opens a new file, created with mode 0600 (fails if it exists), for writing. */
    public static OutputStream newFile(Path file) throws IOException {
        OutputStream out = POSIX
                ? Channels.newOutputStream(Files.newByteChannel(file,
                        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(FILE)))
                : Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        narrow(file, FILE);
        return out;
    }

    /** Narrows an existing file or directory to {@code mode}; does nothing when it is missing. */
    public static void narrow(Path path, Set<PosixFilePermission> mode) throws IOException {
        if (!POSIX || !Files.exists(path)) {
            return;
        }
        Set<PosixFilePermission> current = Files.getPosixFilePermissions(path);
        if (!current.equals(mode)) {
            if (!mode.containsAll(current)) {
                LOG.warn("{} was {}; narrowing it to {}", path, PosixFilePermissions.toString(current),
                        PosixFilePermissions.toString(mode));
            }
            Files.setPosixFilePermissions(path, mode);
        }
    }
}
