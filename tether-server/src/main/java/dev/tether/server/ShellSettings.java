package dev.tether.server;

import java.time.Duration;

/**
 * How the server runs remote shell sessions.
 *
 * @param idleTimeout a session with no input and no output for this long is closed; also how long the server
 *     waits for an agent whose link dropped to come back before it ends that agent's sessions
 * @param recordInput whether recordings also hold what the operator typed (off: passwords typed at a prompt
 *     would land in the recording)
 * @param recordingRetention recordings older than this are deleted
 * @param recordingMaxBytes a recording stops growing at this size; the session goes on unrecorded and its
 *     record and audit entry say so ({@code recording_truncated})
 */
public record ShellSettings(Duration idleTimeout, boolean recordInput, Duration recordingRetention,
        long recordingMaxBytes) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
    public static final Duration DEFAULT_RECORDING_RETENTION = Duration.ofDays(30);
    public static final long DEFAULT_RECORDING_MAX_BYTES = 256L * 1024 * 1024;
    /** Room for the header and a few events: below this a recording would hold nothing useful. */
    private static final long MIN_RECORDING_MAX_BYTES = 4096;
    private static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MIN_RETENTION = Duration.ofMinutes(1);

    public static ShellSettings defaults() {
        return new ShellSettings(DEFAULT_IDLE_TIMEOUT, false, DEFAULT_RECORDING_RETENTION, DEFAULT_RECORDING_MAX_BYTES);
    }

    /** @throws IllegalArgumentException naming the flag and the limit */
    public void validate() {
        if (idleTimeout == null || idleTimeout.compareTo(MIN_IDLE_TIMEOUT) < 0) {
            throw new IllegalArgumentException("--shell-idle-timeout must be at least 1s, was " + idleTimeout);
        }
        if (recordingRetention == null || recordingRetention.compareTo(MIN_RETENTION) < 0) {
            throw new IllegalArgumentException("--recording-retention must be at least 1m, was " + recordingRetention);
        }
        if (recordingMaxBytes < MIN_RECORDING_MAX_BYTES) {
            throw new IllegalArgumentException("--recording-max-bytes must be at least " + MIN_RECORDING_MAX_BYTES
                    + " (bytes, or with a k, m or g suffix), was " + recordingMaxBytes);
        }
    }

    public ShellSettings withIdleTimeout(Duration value) {
        return new ShellSettings(value, recordInput, recordingRetention, recordingMaxBytes);
    }

    public ShellSettings withRecordInput(boolean value) {
        return new ShellSettings(idleTimeout, value, recordingRetention, recordingMaxBytes);
    }

    public ShellSettings withRecordingRetention(Duration value) {
        return new ShellSettings(idleTimeout, recordInput, value, recordingMaxBytes);
    }

    public ShellSettings withRecordingMaxBytes(long value) {
        return new ShellSettings(idleTimeout, recordInput, recordingRetention, value);
    }
}
