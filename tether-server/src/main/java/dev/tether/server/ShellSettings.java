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
 */
public record ShellSettings(Duration idleTimeout, boolean recordInput, Duration recordingRetention) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
    public static final Duration DEFAULT_RECORDING_RETENTION = Duration.ofDays(30);
    private static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MIN_RETENTION = Duration.ofMinutes(1);

    public static ShellSettings defaults() {
        return new ShellSettings(DEFAULT_IDLE_TIMEOUT, false, DEFAULT_RECORDING_RETENTION);
    }

    /** @throws IllegalArgumentException naming the flag and the limit */
    public void validate() {
        if (idleTimeout == null || idleTimeout.compareTo(MIN_IDLE_TIMEOUT) < 0) {
            throw new IllegalArgumentException("--shell-idle-timeout must be at least 1s, was " + idleTimeout);
        }
        if (recordingRetention == null || recordingRetention.compareTo(MIN_RETENTION) < 0) {
            throw new IllegalArgumentException("--recording-retention must be at least 1m, was " + recordingRetention);
        }
    }

    public ShellSettings withIdleTimeout(Duration value) {
        return new ShellSettings(value, recordInput, recordingRetention);
    }

    public ShellSettings withRecordInput(boolean value) {
        return new ShellSettings(idleTimeout, value, recordingRetention);
    }

    public ShellSettings withRecordingRetention(Duration value) {
        return new ShellSettings(idleTimeout, recordInput, value);
    }
}
