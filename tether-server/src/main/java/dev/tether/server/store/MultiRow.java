package dev.tether.server.store;

/**
 * Row counts for multi-row statements ({@code INSERT … VALUES (…), (…)}, {@code … WHERE id IN (?, ?, …)}): a run
 * of rows is cut into chunks of a few fixed sizes, largest first, so such statements have at most
 * {@code SIZES.length} SQL texts per kind. The group-commit writer keeps its prepared statements by text
 * ({@link StatementCache}); a chunk of whatever was left over (a fan-out to 10,537 agents ends with 537 rows)
 * would be a text used once, prepared at a cost that grows with its length, and kept in place of a statement that
 * is used again.
 *
 * <p>Stateless.
 */
public final class MultiRow {

    /** Chunk sizes, largest first; a run of n rows takes at most n / 1000 + 27 statements. */
    private static final int[] SIZES = {1000, 100, 10, 1};
    /** Rows in one statement at most. */
    public static final int MAX_ROWS = SIZES[0];

    private MultiRow() {
    }

    /** Rows for the next statement of a run with {@code remaining} rows left (positive). */
    public static int chunk(int remaining) {
        if (remaining <= 0) {
            throw new IllegalArgumentException("remaining rows must be positive, was " + remaining);
        }
        for (int size : SIZES) {
            if (size <= remaining) {
                return size;
            }
        }
        throw new AssertionError("the smallest chunk is one row");
    }
}
