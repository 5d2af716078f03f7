package dev.tether.agent.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Trust for a server whose certificate a private CA signed ({@code --ca-file}):
 * an {@link SSLContext} that trusts exactly the certificates in the PEM file,
 * and not the JDK's public roots, so a certificate from any other CA is
 * refused. Host names are still checked against the certificate by the client
 * that uses the context (the agent's WebSocket client, the HTTP client). Stateless.
 */
public final class TrustedCa {

    private TrustedCa() {
    }

    /**
     * @throws IllegalArgumentException when the file is missing, empty or not PEM certificates, saying which
     */
    public static SSLContext sslContext(Path caFile) {
        return sslContext(caFile, "--ca-file");
    }

    /**
     * As {@link #sslContext(Path)}, the errors naming where the file was given ({@code source}: a flag, an
     * environment variable, a saved profile).
     */
    public static SSLContext sslContext(Path caFile, String source) {
        String named = source + " " + caFile;
        try (InputStream in = Files.newInputStream(caFile)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException(named + " holds no certificate: give the PEM file "
                        + "of the CA that signed the server's certificate");
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                trusted.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(named + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(named + " cannot be read (permission denied)");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(named + " is not a PEM file of certificates: " + e.getMessage());
        }
    }

    /**
     * The context a client of the server trusts: the CA in {@code caFile}, or the JDK's roots when it is null.
     *
     * @throws IllegalArgumentException when the file cannot be used, or the JDK has no default TLS context
     */
    public static SSLContext forServer(Path caFile) {
        if (caFile != null) {
            return sslContext(caFile);
        }
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("this Java runtime has no default TLS context: " + e.getMessage(), e);
        }
    }

    /** An HTTP client builder that trusts the CA in {@code caFile}, or the JDK's roots when it is null. */
    public static HttpClient.Builder httpClient(Path caFile) {
        HttpClient.Builder builder = HttpClient.newBuilder();
        return caFile == null ? builder : builder.sslContext(sslContext(caFile));
    }
}
