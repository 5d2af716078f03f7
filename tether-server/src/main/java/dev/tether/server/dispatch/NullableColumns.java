package dev.tether.server.dispatch;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/** Reading and binding nullable numeric columns, the same way on both databases. Stateless. */
final class NullableColumns {

    private NullableColumns() {
    }

    static void setLong(PreparedStatement statement, int index, Long value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.BIGINT);
        } else {
            statement.setLong(index, value);
        }
    }

    static void setInt(PreparedStatement statement, int index, Integer value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.INTEGER);
        } else {
            statement.setInt(index, value);
        }
    }

    static Long getLong(ResultSet row, int index) throws SQLException {
        long value = row.getLong(index);
        return row.wasNull() ? null : value;
    }

    static Integer getInt(ResultSet row, int index) throws SQLException {
        int value = row.getInt(index);
        return row.wasNull() ? null : value;
    }
}
