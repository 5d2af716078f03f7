package dev.tether.server.api;

import dev.tether.server.store.Backup;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/backup} (admin): a consistent copy of the SQLite store, taken while the server runs
 * ({@link Backup}) and sent as the body ({@code application/vnd.sqlite3}); {@code tether backup FILE} saves it.
 * A PostgreSQL store answers 409 saying to use {@code pg_dump}. The copy is written next to the database first
 * (it needs as much free space as the database) and deleted once sent. Thread safe.
 */
final class BackupRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(BackupRoutes.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);

    private final Database database;
    private final Path dataDir;
    private final DbCalls db;

    BackupRoutes(Database database, Path dataDir, DbCalls db) {
        this.database = database;
        this.dataDir = dataDir;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/backup").handler(this::backup);
    }

    private void backup(RoutingContext ctx) {
        if (database.dialect() != Dialect.SQLITE) {
            throw new ApiException(409, "not_sqlite", "this server keeps its data in PostgreSQL: back it up with "
                    + "PostgreSQL's own tools, e.g. pg_dump -Fc -f tether.dump DBNAME (tether backup copies the "
                    + "embedded SQLite store)");
        }
        db.respond(ctx, () -> Backup.snapshot(database, dataDir), file -> send(ctx, file));
    }

    private static void send(RoutingContext ctx, Path file) {
        String name = "tether-backup-" + STAMP.format(Instant.now()) + ".db";
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/vnd.sqlite3")
                .putHeader("Content-Disposition", "attachment; filename=\"" + name + "\"")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .sendFile(file.toString())
                .onComplete(done -> {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException e) {
                        LOG.warn("could not delete the sent backup copy {}", file, e);
                    }
                    if (done.failed()) {
                        LOG.warn("sending a backup failed", done.cause());
                    }
                });
    }
}
