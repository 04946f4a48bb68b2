package io.spool.example.photo.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/**
 * The uploads, their outcomes and outputs, in one SQLite file shared by the web app and every
 * worker process. SQLite in WAL mode lets several processes read and write one file safely; a
 * writer killed with {@code kill -9} leaves no half transaction behind.
 *
 * <p>Exactly once: an outcome's primary key is the upload id and it is inserted with
 * {@code ON CONFLICT DO NOTHING}, outputs are keyed by (upload id, file name) and upserted. A
 * job that runs again after a crash or a redelivery therefore changes nothing that was
 * recorded; {@link #recordOutcome} tells it whether it was first.
 *
 * <p>Thread-safe: one connection per process, used under this object's lock (SQLite writes one
 * transaction at a time anyway; other processes wait up to the busy timeout).
 */
public final class UploadDatabase implements AutoCloseable {

    private static final String[] SCHEMA = {
        """
        CREATE TABLE IF NOT EXISTS uploads (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          filename TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          uploaded_at INTEGER NOT NULL)""",
        """
        CREATE TABLE IF NOT EXISTS outcomes (
          id TEXT PRIMARY KEY,
          status TEXT NOT NULL CHECK (status IN ('done', 'rejected', 'failed')),
          reason TEXT,
          width INTEGER,
          height INTEGER,
          format TEXT,
          sha256 TEXT,
          duration_ms INTEGER,
          job_id TEXT NOT NULL,
          attempt INTEGER NOT NULL,
          worker TEXT NOT NULL,
          recorded_at INTEGER NOT NULL)""",
        """
        CREATE TABLE IF NOT EXISTS outputs (
          id TEXT NOT NULL,
          name TEXT NOT NULL,
          role TEXT NOT NULL,
          width INTEGER NOT NULL,
          height INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          PRIMARY KEY (id, name))""",
    };

    private final Connection connection;

    private UploadDatabase(Connection connection) {
        this.connection = connection;
    }

    /** Opens (creating if needed) the database file and its tables. */
    public static UploadDatabase open(Path file) throws SQLException {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new SQLException("cannot create the directory of " + file + ": " + e.getMessage(), e);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        // NORMAL in WAL mode survives any process crash; only a power cut may lose the last commits.
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        // Wait for another process's write instead of failing at once.
        config.setBusyTimeout(30_000);
        // Take the write lock when a transaction begins: a read lock upgraded later can fail with
        // SQLITE_BUSY without waiting.
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        Connection c = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement s = c.createStatement()) {
            for (String ddl : SCHEMA) {
                s.execute(ddl);
            }
        }
        return new UploadDatabase(c);
    }

    public synchronized void insertUpload(Upload u) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO uploads (id, kind, filename, bytes, uploaded_at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, u.id());
            ps.setString(2, u.kind().json());
            ps.setString(3, u.filename());
            ps.setLong(4, u.bytes());
            ps.setLong(5, u.uploadedAt().toEpochMilli());
            ps.executeUpdate();
        }
    }

    /** Forgets an upload that was never queued (its job could not be published). */
    public synchronized void deleteUpload(String id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM uploads WHERE id = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    /**
     * Records outputs and the outcome in one transaction. Returns true when this call recorded
     * the outcome, false when an earlier run of the job already had (its outcome stays).
     */
    public synchronized boolean recordOutcome(String id, Outcome o, List<Output> outputs) throws SQLException {
        connection.setAutoCommit(false);
        try {
            for (Output out : outputs) {
                upsertOutput(id, out);
            }
            boolean first;
            try (PreparedStatement ps = connection.prepareStatement("""
                    INSERT INTO outcomes (id, status, reason, width, height, format, sha256, duration_ms,
                                          job_id, attempt, worker, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING""")) {
                ps.setString(1, id);
                ps.setString(2, o.status().json());
                ps.setString(3, o.reason());
                setInteger(ps, 4, o.width());
                setInteger(ps, 5, o.height());
                ps.setString(6, o.format());
                ps.setString(7, o.sha256());
                if (o.durationMs() == null) {
                    ps.setNull(8, Types.INTEGER);
                } else {
                    ps.setLong(8, o.durationMs());
                }
                ps.setString(9, o.jobId());
                ps.setInt(10, o.attempt());
                ps.setString(11, o.worker());
                ps.setLong(12, o.recordedAt().toEpochMilli());
                first = ps.executeUpdate() == 1;
            }
            connection.commit();
            return first;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /** Records one output on its own, as each rendition job of a video does when it finishes. */
    public synchronized void recordOutput(String id, Output out) throws SQLException {
        upsertOutput(id, out);
    }

    public synchronized Optional<UploadRecord> find(String id) throws SQLException {
        Upload upload;
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT kind, filename, bytes, uploaded_at FROM uploads WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                upload = new Upload(id, Kind.fromJson(rs.getString(1)), rs.getString(2), rs.getLong(3),
                        Instant.ofEpochMilli(rs.getLong(4)));
            }
        }
        return Optional.of(new UploadRecord(upload, outcome(id), outputs(id)));
    }

    private Outcome outcome(String id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT status, reason, width, height, format, sha256, duration_ms, job_id, attempt, worker, recorded_at
                FROM outcomes WHERE id = ?""")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new Outcome(Status.fromJson(rs.getString(1)), rs.getString(2), (Integer) rs.getObject(3),
                        (Integer) rs.getObject(4), rs.getString(5), rs.getString(6),
                        rs.getObject(7) == null ? null : rs.getLong(7), rs.getString(8), rs.getInt(9),
                        rs.getString(10), Instant.ofEpochMilli(rs.getLong(11)));
            }
        }
    }

    /** Outputs in a stable order: by role, then smallest first. */
    public synchronized List<Output> outputs(String id) throws SQLException {
        List<Output> outputs = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT name, role, width, height, bytes FROM outputs WHERE id = ? ORDER BY role, width, name")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    outputs.add(new Output(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getLong(5)));
                }
            }
        }
        return outputs;
    }

    private void upsertOutput(String id, Output out) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                INSERT INTO outputs (id, name, role, width, height, bytes) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id, name) DO UPDATE SET role = excluded.role, width = excluded.width,
                  height = excluded.height, bytes = excluded.bytes""")) {
            ps.setString(1, id);
            ps.setString(2, out.name());
            ps.setString(3, out.role());
            ps.setInt(4, out.width());
            ps.setInt(5, out.height());
            ps.setLong(6, out.bytes());
            ps.executeUpdate();
        }
    }

    private static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    @Override
    public synchronized void close() throws SQLException {
        connection.close();
    }
}
