package dev.tether.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.AdminTokenStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where admin tokens come from on each start, and that only their hashes are stored. */
class AdminTokensTest {

    private static final Pattern TOKEN = Pattern.compile("tat_[A-Za-z0-9_-]{43}");

    @TempDir
    Path dir;
    private Database db;
    private AdminTokenStore store;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    @BeforeEach
    void openDatabase() {
        db = Database.open(TestDatabase.SQLITE.freshJdbcUrl(dir), 2);
        db.migrate();
        store = new AdminTokenStore(db);
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    private AdminTokens start(String env, boolean dev) throws Exception {
        return start(env, dev, false);
    }

    private AdminTokens start(String env, boolean dev, boolean rotate) throws Exception {
        return AdminTokens.setUp(store, dir, env, dev, rotate, new PrintStream(console, true,
                StandardCharsets.UTF_8));
    }

    private String printed() {
        return console.toString(StandardCharsets.UTF_8);
    }

    @Test
    void firstStartGeneratesATokenPrintsItOnceAndStoresOnlyItsHash() throws Exception {
        AdminTokens first = start(null, false);
        Matcher match = TOKEN.matcher(printed());
        assertThat(match.find()).isTrue();
        String token = match.group();
        assertThat(printed()).contains("save this, it will not be shown again");

        console.reset();
        AdminTokens second = start(null, false);

        assertThat(printed()).isEmpty();
        assertThat(first.accepts(token)).isTrue();
        assertThat(second.accepts(token)).isTrue();
        assertThat(second.accepts("tat_other")).isFalse();
        assertThat(store.all()).extracting(AdminTokenStore.StoredToken::hash)
                .containsExactly(Secrets.hash(token)).doesNotContain(token);
    }

    @Test
    void aTokenFromTheEnvironmentForgetsTheGeneratedOne() throws Exception {
        start(null, false);
        Matcher generated = TOKEN.matcher(printed());
        assertThat(generated.find()).isTrue();

        AdminTokens withEnv = start("env-token-number-one", false);

        assertThat(withEnv.accepts(generated.group())).isFalse();
        assertThat(withEnv.accepts("env-token-number-one")).isTrue();
        assertThat(store.all()).extracting(AdminTokenStore.StoredToken::source).containsExactly("env");
    }

    @Test
    void rotationForgetsTheGeneratedTokenAndPrintsANewOneOnce() throws Exception {
        start(null, false);
        Matcher old = TOKEN.matcher(printed());
        assertThat(old.find()).isTrue();
        String oldToken = old.group();
        console.reset();

        AdminTokens rotated = start(null, false, true);
        Matcher fresh = TOKEN.matcher(printed());
        assertThat(fresh.find()).isTrue();
        console.reset();
        AdminTokens next = start(null, false);

        assertThat(rotated.accepts(oldToken)).isFalse();
        assertThat(rotated.accepts(fresh.group())).isTrue();
        assertThat(next.accepts(fresh.group())).isTrue();
        assertThat(printed()).isEmpty();
    }

    @Test
    void rotationInDevModeWritesANewDevToken() throws Exception {
        String old = start(null, true).devToken();

        AdminTokens rotated = start(null, true, true);

        assertThat(rotated.devToken()).isNotEqualTo(old);
        assertThat(rotated.accepts(old)).isFalse();
        assertThat(rotated.accepts(rotated.devToken())).isTrue();
    }

    @Test
    void tokenFromTheEnvironmentIsAcceptedAndReplacedWhenItChanges() throws Exception {
        AdminTokens withOld = start("env-token-number-one", false);
        AdminTokens withNew = start("env-token-number-two", false);

        assertThat(withOld.accepts("env-token-number-one")).isTrue();
        assertThat(withNew.accepts("env-token-number-two")).isTrue();
        assertThat(withNew.accepts("env-token-number-one")).isFalse();
        assertThat(printed()).isEmpty();
    }

    @Test
    void tokenFromTheEnvironmentStopsWorkingWhenItIsNoLongerGiven() throws Exception {
        start("env-token-number-one", false);

        AdminTokens later = start(null, false);

        assertThat(later.accepts("env-token-number-one")).isFalse();
        assertThat(TOKEN.matcher(printed()).find()).isTrue();
    }

    @Test
    void devTokenLivesInAPrivateFileAndIsTheSameOnEveryStart() throws Exception {
        AdminTokens first = start(null, true);
        AdminTokens second = start(null, true);
        Path file = dir.resolve(AdminTokens.DEV_TOKEN_FILE);

        assertThat(first.devToken()).matches(TOKEN).isEqualTo(second.devToken());
        assertThat(Files.readString(file).trim()).isEqualTo(first.devToken());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(second.accepts(first.devToken())).isTrue();
    }
}
