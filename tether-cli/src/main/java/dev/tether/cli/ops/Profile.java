package dev.tether.cli.ops;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A server an operator signed in to with {@code tether login}: its URL, the personal token, and the CA file
 * that was trusted to reach it (null: the JDK's roots). Immutable.
 *
 * @param name      what {@code --profile} calls it
 * @param url       the server, as given to {@code tether login}
 * @param token     the personal API token; never printed
 * @param tokenId   the token's id on the server ({@code tok_...}), to revoke it on logout; may be null
 * @param user      who signed in
 * @param expiresAt when the token stops working, as the server wrote it; may be null
 * @param caFile    absolute path of the PEM file of trusted CAs, or null
 */
public record Profile(String name, String url, String token, String tokenId, String user, String expiresAt,
        Path caFile) {

    public static final String DEFAULT = "default";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Whether {@code name} can name a profile: a plain file name (no path, no hidden file, at most 64 characters). */
    static boolean isName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Refuses a name that {@link #isName} does not accept, naming {@code source}. */
    public static String checkName(String name, String source) {
        if (!isName(name)) {
            throw new IllegalArgumentException(source + " '" + name + "' is not a profile name: use 1 to 64 letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /** The profile file's JSON: {@code {"url", "token", "token_id", "user", "expires_at", "ca_file"}}. */
    JsonObject toJson() {
        return new JsonObject().put("url", url).put("token", token).put("token_id", tokenId).put("user", user)
                .put("expires_at", expiresAt).put("ca_file", caFile == null ? null : caFile.toString());
    }

    /**
     * Reads a profile file's JSON.
     *
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    static Profile fromJson(String name, JsonObject json) {
        String url = text(json, "url", true);
        String token = text(json, "token", true);
        String caFile = text(json, "ca_file", false);
        ServerUrl.parse(url, "its url");
        if (caFile != null && !Path.of(caFile).isAbsolute()) {
            throw new IllegalArgumentException("ca_file '" + caFile + "' is not an absolute path");
        }
        return new Profile(name, url, token, text(json, "token_id", false), text(json, "user", false),
                text(json, "expires_at", false), caFile == null ? null : Path.of(caFile));
    }

    private static String text(JsonObject json, String field, boolean required) {
        Object value = json.getValue(field);
        if (value == null && !required) {
            return null;
        }
        if (!(value instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(required && value == null ? "it has no " + field
                    : field + " is not a non-empty string");
        }
        return s;
    }

    @Override
    public String toString() {
        return "Profile[" + name + ", " + url + ", user " + user + "]";
    }
}
