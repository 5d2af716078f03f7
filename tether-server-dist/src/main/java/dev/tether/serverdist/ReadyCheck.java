package dev.tether.serverdist;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * {@code bin/tether-ready [URL]}: whether the server on this host is ready, for a container's healthcheck (the
 * image's and compose.yaml's) or a monitoring agent. Exit 0 when {@code GET URL} answers 200, else 1 with one line
 * on stderr saying why; 2 for a bad URL or {@code TETHER_LISTEN}.
 *
 * <p>Without URL it asks {@code /readyz} on the port of {@code TETHER_LISTEN} (default 8080) on loopback, over TLS
 * when {@code TETHER_TLS_CERT} is set: the same environment the server was started with. The server's certificate
 * is not checked then: it names the server's public host, not 127.0.0.1, and the probe sends nothing secret and
 * only reads the status.
 */
public final class ReadyCheck {

    static final Duration TIMEOUT = Duration.ofSeconds(4);
    private static final int DEFAULT_PORT = 8080;

    private ReadyCheck() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    static int run(String[] args, Map<String, String> env) {
        URI url;
        try {
            url = args.length > 0 ? new URI(args[0]) : localUrl(env);
        } catch (URISyntaxException | IllegalArgumentException e) {
            System.err.println("tether-ready: " + e.getMessage());
            return 2;
        }
        try {
            int status = status(url);
            if (status == 200) {
                return 0;
            }
            System.err.println("tether-ready: " + url + " answered " + status + " (not ready)");
        } catch (IOException | GeneralSecurityException e) {
            System.err.println("tether-ready: " + url + ": " + e);
        }
        return 1;
    }

    /** {@code /readyz} on loopback at the port the server listens on. */
    static URI localUrl(Map<String, String> env) throws URISyntaxException {
        String listen = env.getOrDefault("TETHER_LISTEN", "").strip();
        int port = DEFAULT_PORT;
        if (!listen.isEmpty()) {
            int colon = listen.lastIndexOf(':');
            try {
                port = Integer.parseInt(listen.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("TETHER_LISTEN is '" + listen + "': write HOST:PORT, e.g. "
                        + "0.0.0.0:8080");
            }
        }
        String tlsCert = env.getOrDefault("TETHER_TLS_CERT", "");
        return new URI((tlsCert.isBlank() ? "http" : "https") + "://127.0.0.1:" + port + "/readyz");
    }

    private static int status(URI url) throws IOException, GeneralSecurityException {
        HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection();
        if (connection instanceof HttpsURLConnection https) {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AnyCertificate()}, null);
            https.setSSLSocketFactory(context.getSocketFactory());
            https.setHostnameVerifier((host, session) -> true);
        }
        connection.setConnectTimeout((int) TIMEOUT.toMillis());
        connection.setReadTimeout((int) TIMEOUT.toMillis());
        try {
            return connection.getResponseCode();
        } finally {
            connection.disconnect();
        }
    }

    /** Takes any certificate: see the class comment for why that is enough here. */
    private static final class AnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
