package dev.tether.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two databases tests run against: SQLite in a temp dir, and a real
 * PostgreSQL (embedded, one per test JVM, a fresh database per call).
 */
public enum TestDatabase {
    SQLITE {
        @Override
        public String freshJdbcUrl(Path dir) {
            return "jdbc:sqlite:" + dir.resolve("test-" + COUNTER.incrementAndGet() + ".db");
        }
    },
    POSTGRESQL {
        @Override
        public String freshJdbcUrl(Path dir) {
            EmbeddedPostgres postgres = Postgres.INSTANCE;
            String name = "tether_" + COUNTER.incrementAndGet();
            try (Connection connection = postgres.getPostgresDatabase().getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("could not create test database " + name, e);
            }
            return postgres.getJdbcUrl("postgres", name);
        }
    };

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** A JDBC URL of an empty database of this kind. */
    public abstract String freshJdbcUrl(Path dir);

    /** Started on first use, stopped when the test JVM exits. */
    private static final class Postgres {
        static final EmbeddedPostgres INSTANCE = start();

        private static EmbeddedPostgres start() {
            try {
                EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        postgres.close();
                    } catch (IOException e) {
                        // The JVM is exiting; the temp cluster is cleaned up with it.
                    }
                }));
                return postgres;
            } catch (IOException e) {
                throw new UncheckedIOException("could not start embedded PostgreSQL", e);
            }
        }
    }
}
