package dev.tether.server.ui;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * The web UI's files, read once from the class path ({@code web/}, where the
 * Maven build puts Vite's output) and held in memory: the bundle is about a
 * megabyte, and serving from memory needs no file-system cache of class-path
 * resources. {@value #MANIFEST} (one path a line, written by the Vite build)
 * says which files there are, since a class path cannot be listed portably.
 *
 * <p>Each asset carries its content type, a strong ETag (SHA-256 prefix) and,
 * for text types where it pays, a gzip copy. Immutable after {@link #load};
 * thread safe.
 */
public final class WebAssets {

    /** Where the build puts the UI on the class path. */
    public static final String ROOT = "web/";
    /** The list of files, relative to {@link #ROOT}. */
    public static final String MANIFEST = "asset-manifest.txt";
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("wasm", "application/wasm"),
            Map.entry("txt", "text/plain; charset=utf-8"));

    private final Map<String, Asset> byPath;

    private WebAssets(Map<String, Asset> byPath) {
        this.byPath = byPath;
    }

    /**
     * One file of the UI.
     *
     * @param path its URL path, starting with {@code /}
     * @param gzip the gzip-compressed body, or null when compressing does not pay
     */
    public record Asset(String path, String contentType, byte[] body, byte[] gzip, String etag) {
    }

    /** The UI on this class path; empty (see {@link #present}) when the server was built without it. */
    public static WebAssets load(ClassLoader loader) {
        Map<String, Asset> assets = new LinkedHashMap<>();
        byte[] manifest = read(loader, ROOT + MANIFEST);
        if (manifest == null) {
            return new WebAssets(Map.of());
        }
        for (String line : new String(manifest, StandardCharsets.UTF_8).split("\n")) {
            String file = line.strip();
            if (file.isEmpty() || file.startsWith("/") || file.contains("..")) {
                continue;
            }
            byte[] body = read(loader, ROOT + file);
            if (body == null) {
                throw new IllegalStateException("the web UI lists " + file + " but the class path lacks it: "
                        + "rebuild the server");
            }
            String type = contentType(file);
            assets.put("/" + file, new Asset("/" + file, type, body, compressible(type) ? gzip(body) : null,
                    etag(body)));
        }
        return new WebAssets(Map.copyOf(assets));
    }

    /** Whether the UI was built into this server. */
    public boolean present() {
        return byPath.containsKey("/index.html");
    }

    public Optional<Asset> get(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** The page every UI route is served (the single-page app routes in the browser). */
    public Optional<Asset> index() {
        return get("/index.html");
    }

    public int size() {
        return byPath.size();
    }

    static String contentType(String file) {
        int dot = file.lastIndexOf('.');
        String extension = dot < 0 ? "" : file.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(extension, "application/octet-stream");
    }

    private static boolean compressible(String type) {
        return type.startsWith("text/") || type.startsWith("application/json") || type.startsWith("image/svg")
                || type.equals("application/wasm");
    }

    /** The gzip copy, or null when it would save less than a tenth. */
    private static byte[] gzip(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 3 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.size() < body.length * 9L / 10 ? out.toByteArray() : null;
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static byte[] read(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource + " from the class path", e);
        }
    }
}
