package dev.tether.cli.ops;

import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --profile NAME} (env {@code TETHER_PROFILE}, default {@code default}) and the environment the command
 * reads its settings from: a picocli mixin of every operator command and of {@code tether logout}. The
 * environment is {@link System#getenv()} unless the command line was built with another one (tests).
 */
public final class ProfileOption {

    static final String PROFILE_ENV = "TETHER_PROFILE";

    private final Map<String, String> env;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "The server and token saved by tether login --profile NAME (env " + PROFILE_ENV
                    + ", default \"default\"); see tether profiles.")
    String profile;

    public ProfileOption() {
        this(System.getenv());
    }

    public ProfileOption(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The environment variable {@code name}, or null when unset or blank. */
    String env(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    ProfileStore store() {
        return ProfileStore.of(env);
    }

    /** The profile's name: --profile, else $TETHER_PROFILE, else {@code default}. */
    String name() {
        if (profile != null) {
            return Profile.checkName(profile, "--profile");
        }
        String fromEnv = env(PROFILE_ENV);
        return fromEnv != null ? Profile.checkName(fromEnv, PROFILE_ENV) : Profile.DEFAULT;
    }

    /** Whether --profile or $TETHER_PROFILE chose it (else it is {@code default} by default). */
    boolean chosen() {
        return profile != null || env(PROFILE_ENV) != null;
    }

    /**
     * The chosen profile; empty only when none was chosen and no {@code default} is saved.
     *
     * @throws IllegalArgumentException when a chosen profile is not saved, listing those that are
     */
    Optional<Profile> find() {
        String name = name();
        Optional<Profile> found = store().find(name);
        if (found.isEmpty() && chosen()) {
            throw unknown(name);
        }
        return found;
    }

    IllegalArgumentException unknown(String name) {
        var known = store().names();
        return new IllegalArgumentException("no profile '" + name + "'" + (profile != null ? "" : " (from "
                + PROFILE_ENV + ")") + ": " + (known.isEmpty() ? "none is saved" : "the saved ones are "
                + String.join(", ", known)) + "; sign in with tether login URL --profile " + name);
    }
}
