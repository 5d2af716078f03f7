package dev.tether.server.cluster;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How this server takes part in a cluster.
 *
 * @param nodeName this node's name, unique in the cluster ({@code --node-name}; default: the host name)
 * @param advertiseUrl where the other nodes reach this one ({@code --advertise-url}); null: derived from the
 *     listening address at start
 * @param secret the secret nodes authenticate each other with ({@code --cluster-secret-file}); null when none
 *     was given
 */
public record ClusterSettings(String nodeName, URI advertiseUrl, String secret) {

    /** Letters, digits, dot, dash and underscore, at most 63: it is also a PostgreSQL application name. */
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** A cluster secret shorter than this is refused. */
    public static final int MIN_SECRET_LENGTH = 32;

    /** This host's name as the node name, no advertise URL, no secret. */
    public static ClusterSettings defaults() {
        return new ClusterSettings(hostName(), null, null);
    }

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException naming the setting and what to do
     */
    public void validate(boolean postgresql) {
        if (nodeName == null || !NODE_NAME.matcher(nodeName).matches()) {
            throw new IllegalArgumentException("--node-name '" + nodeName + "' is not valid: use 1-63 letters, "
                    + "digits, '.', '-' or '_', starting with a letter or digit");
        }
        if (advertiseUrl != null) {
            String scheme = advertiseUrl.getScheme() == null ? "" : advertiseUrl.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || advertiseUrl.getHost() == null) {
                throw new IllegalArgumentException("--advertise-url '" + advertiseUrl + "' must be an http:// or "
                        + "https:// URL with a host the other nodes can reach, such as https://node-a.internal:8080");
            }
        }
        if (secret != null && secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("the cluster secret must be at least " + MIN_SECRET_LENGTH
                    + " characters (for example: openssl rand -hex 32 > cluster.secret)");
        }
        if (!postgresql && (advertiseUrl != null || secret != null)) {
            throw new IllegalArgumentException("cluster mode needs PostgreSQL: SQLite serves a single node. "
                    + "Pass --db jdbc:postgresql://..., or drop --advertise-url and --cluster-secret-file");
        }
    }

    /** The PostgreSQL application name of a node's connections, by which a live node ends a dead one's. */
    public static String applicationName(String nodeName) {
        return "tether/" + nodeName;
    }

    public ClusterSettings withNodeName(String value) {
        return new ClusterSettings(value, advertiseUrl, secret);
    }

    public ClusterSettings withAdvertiseUrl(URI value) {
        return new ClusterSettings(nodeName, value, secret);
    }

    public ClusterSettings withSecret(String value) {
        return new ClusterSettings(nodeName, advertiseUrl, value);
    }

    /** The secret masked. */
    @Override
    public String toString() {
        return "ClusterSettings[nodeName=" + nodeName + ", advertiseUrl=" + advertiseUrl + ", secret="
                + (secret == null ? "null" : "****") + "]";
    }

    private static String hostName() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            int dot = name.indexOf('.');
            String shortName = dot > 0 ? name.substring(0, dot) : name;
            return NODE_NAME.matcher(shortName).matches() ? shortName : "node";
        } catch (UnknownHostException e) {
            return "node";
        }
    }
}
