package dev.tether.bench;

/**
 * Whether a peer the tests drive for real (Mosquitto, sshd) is installed. On a
 * laptop without it the test is skipped with a visible reason; under
 * {@code CI=true} a missing peer fails instead, since {@code .ci/run} installs it.
 */
public final class TestPeers {

    private TestPeers() {
    }

    /**
     * @param lookup finds the peer's binary, throwing {@link IllegalStateException} with install advice
     *     when it is missing ({@code MosquittoBroker::binary}, {@code OpenSshServer::binary})
     */
    public static boolean installed(Class<?> test, Runnable lookup) {
        try {
            lookup.run();
            return true;
        } catch (IllegalStateException e) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(e.getMessage() + " (.ci/run installs it through .ci/install-test-tools)", e);
            }
            System.err.println(test.getSimpleName() + " skipped: " + e.getMessage());
            return false;
        }
    }
}
