package dev.tether.cli.ops;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The profiles {@code tether login} keeps, one JSON file per profile:
 * {@code CONFIG/tether/profiles/NAME.json} (see {@link Profile#toJson()} for the fields), where CONFIG is
 * {@code $XDG_CONFIG_HOME}, else {@code ~/.config}. {@code CONFIG/tether} and {@code profiles/} are made 0700
 * and each file 0600, written whole to a temporary file in the same directory and renamed over the old one, so
 * a reader sees the old profile or the new one, never half of one, and two logins to different profiles do not
 * overwrite each other. Also reads {@code CONFIG/tether/token}, the single token an older {@code tether login}
 * kept. Stateless apart from the files; safe to use from several processes.
 */
public final class ProfileStore {

    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final String SUFFIX = ".json";

    private final Path dir;

    private ProfileStore(Path dir) {
        this.dir = dir;
    }

    /** The store under {@code $XDG_CONFIG_HOME/tether} (else {@code ~/.config/tether}) of {@code env}. */
    public static ProfileStore of(Map<String, String> env) {
        String config = env.get("XDG_CONFIG_HOME");
        Path base = config != null && !config.isBlank() ? Path.of(config)
                : Path.of(System.getProperty("user.home"), ".config");
        return new ProfileStore(base.resolve("tether"));
    }

    /** {@code CONFIG/tether}. */
    public Path dir() {
        return dir;
    }

    /** Where profile {@code name} is kept. */
    public Path file(String name) {
        return dir.resolve("profiles").resolve(Profile.checkName(name, "profile") + SUFFIX);
    }

    /** The single token file of an older {@code tether login}, read when no profile is chosen or saved. */
    public Path legacyTokenFile() {
        return dir.resolve("token");
    }

    /**
     * The profile called {@code name}, if saved.
     *
     * @throws IllegalStateException when its file cannot be read or is not a profile, naming the file
     */
    public Optional<Profile> find(String name) {
        Path file = file(name);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read profile file " + file + ": " + e.getMessage());
        }
        try {
            return Optional.of(Profile.fromJson(name, new JsonObject(text)));
        } catch (DecodeException | ClassCastException | IllegalArgumentException e) {
            throw new IllegalStateException("profile file " + file + " is corrupted ("
                    + (e instanceof IllegalArgumentException ? e.getMessage() : "not a JSON object")
                    + "): sign in again with tether login --profile " + name + " URL, or remove it with "
                    + "tether logout --profile " + name);
        }
    }

    /** The names of the saved profiles, sorted. */
    public List<String> names() {
        Path profiles = dir.resolve("profiles");
        if (!Files.isDirectory(profiles)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(profiles)) {
            List<String> names = new ArrayList<>(files.map(f -> f.getFileName().toString())
                    .filter(f -> f.endsWith(SUFFIX))
                    .map(f -> f.substring(0, f.length() - SUFFIX.length())).filter(Profile::isName).toList());
            names.sort(null);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + profiles, e);
        }
    }

    /** Writes {@code profile} atomically (0600, in 0700 directories), replacing one of the same name. */
    public Path save(Profile profile) throws IOException {
        Path file = file(profile.name());
        Path profiles = ownerOnlyDirectory(ownerOnlyDirectory(dir).resolve("profiles"));
        Path temp = Files.createTempFile(profiles, "." + profile.name() + "-", ".tmp", OWNER_ONLY_FILE);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.write(StandardCharsets.UTF_8.encode(profile.toJson().encodePrettily() + "\n"));
                channel.force(true);
            }
            move(temp, file);
        } finally {
            Files.deleteIfExists(temp);
        }
        return file;
    }

    /** Removes profile {@code name}; false when there was none. */
    public boolean remove(String name) throws IOException {
        return Files.deleteIfExists(file(name));
    }

    private static void move(Path temp, Path file) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + file + " atomically: " + e.getMessage(), e);
        }
    }

    /** Creates {@code directory} 0700, or narrows it to 0700 if it exists: it holds tokens. */
    private static Path ownerOnlyDirectory(Path directory) throws IOException {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        if (!Files.getPosixFilePermissions(directory).equals(OWNER_ONLY_DIR)) {
            Files.setPosixFilePermissions(directory, OWNER_ONLY_DIR);
        }
        return directory;
    }
}
