package dev.tether.server.cluster;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How one node authenticates its requests to another with the shared cluster secret
 * ({@code --cluster-secret-file}). A signed request carries these headers:
 * <pre>
 * X-Tether-Node:   the calling node's name
 * X-Tether-Time:   epoch milliseconds when it was signed
 * X-Tether-Actor:  the user the caller acts for (checked by the caller)
 * X-Tether-Admin:  true or false: whether that user is an admin
 * X-Tether-Source: the user's address, for the audit log
 * Authorization:   TetherNode &lt;hex HMAC-SHA256(secret, canonical)&gt;
 * </pre>
 * where {@code canonical} is {@code tether-node-v1}, the node, the time, the actor, the admin flag, the source
 * and the request's path with its query string, joined by line feeds. A request is accepted only with every
 * header, a MAC that matches (compared in constant time) and a time within {@link #MAX_SKEW} of this node's
 * clock; anything else is refused before anything else is looked at.
 *
 * <p>Immutable and thread safe.
 */
public final class NodeAuth {

    /** How far a signed request's time may be from this node's clock, either way. */
    public static final Duration MAX_SKEW = Duration.ofSeconds(60);
    public static final String NODE = "X-Tether-Node";
    public static final String TIME = "X-Tether-Time";
    public static final String ACTOR = "X-Tether-Actor";
    public static final String ADMIN = "X-Tether-Admin";
    public static final String SOURCE = "X-Tether-Source";
    private static final String SCHEME = "TetherNode ";
    private static final String VERSION = "tether-node-v1";

    private final byte[] key;

    private NodeAuth(String secret) {
        this.key = secret.getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException when the secret is missing or shorter than the cluster's minimum */
    public static NodeAuth of(String secret) {
        if (secret == null || secret.length() < ClusterSettings.MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("a cluster secret of at least " + ClusterSettings.MIN_SECRET_LENGTH
                    + " characters is needed: pass --cluster-secret-file on every node");
        }
        return new NodeAuth(secret);
    }

    /** Who a signed request acts for, as the calling node vouches. */
    public record Caller(String node, String actor, boolean admin, String source) {
    }

    /** A verdict: the caller, or why the request is refused (for a 401). */
    public record Verdict(Caller caller, String refusal) {

        public boolean accepted() {
            return caller != null;
        }
    }

    /** The headers to send with a request to {@code pathAndQuery}, signed now. */
    public Map<String, String> sign(Caller caller, String pathAndQuery, long nowMillis) {
        String time = Long.toString(nowMillis);
        String mac = mac(canonical(caller.node(), time, caller.actor(), Boolean.toString(caller.admin()),
                caller.source(), pathAndQuery));
        return Map.of(NODE, caller.node(), TIME, time, ACTOR, caller.actor(),
                ADMIN, Boolean.toString(caller.admin()), SOURCE, caller.source(), "Authorization", SCHEME + mac);
    }

    /**
     * Checks a request's signature.
     *
     * @param header the request's headers by name
     */
    public Verdict verify(Function<String, String> header, String pathAndQuery, long nowMillis) {
        String node = header.apply(NODE);
        String time = header.apply(TIME);
        String actor = header.apply(ACTOR);
        String admin = header.apply(ADMIN);
        String source = header.apply(SOURCE);
        String authorization = header.apply("Authorization");
        if (node == null || time == null || actor == null || admin == null || source == null
                || authorization == null || !authorization.startsWith(SCHEME)) {
            return refused("missing node authentication: send " + NODE + ", " + TIME + ", " + ACTOR + ", " + ADMIN
                    + ", " + SOURCE + " and 'Authorization: TetherNode <hmac>'");
        }
        long signedAt;
        try {
            signedAt = Long.parseLong(time);
        } catch (NumberFormatException e) {
            return refused(TIME + " must be epoch milliseconds");
        }
        if (Math.abs(nowMillis - signedAt) > MAX_SKEW.toMillis()) {
            return refused("the request was signed " + (nowMillis - signedAt) + " ms from this node's clock (at most "
                    + MAX_SKEW.toSeconds() + " s either way): synchronise the nodes' clocks (NTP)");
        }
        byte[] expected = mac(canonical(node, time, actor, admin, source, pathAndQuery))
                .getBytes(StandardCharsets.US_ASCII);
        byte[] given = authorization.substring(SCHEME.length()).trim().getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) {
            return refused("the node signature does not match: every node needs the same --cluster-secret-file");
        }
        return new Verdict(new Caller(node, actor, Boolean.parseBoolean(admin), source), null);
    }

    private static Verdict refused(String why) {
        return new Verdict(null, why);
    }

    private static String canonical(String... parts) {
        return VERSION + "\n" + String.join("\n", parts);
    }

    private String mac(String canonical) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(hmac.doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "NodeAuth[secret=****]";
    }
}
