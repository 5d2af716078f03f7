package dev.tether.server.shell;

import java.util.List;

/**
 * One shell session as stored: who opened it on which agent, and, once it
 * ended, how. Times in epoch millis.
 *
 * @param command the program and its arguments; empty for the agent's shell
 * @param endedAt null while the session lives
 * @param bytesIn bytes typed by clients; {@code bytesOut} output bytes sent to them
 * @param exitCode null unless the process exited
 * @param signal the signal that killed the process, or null
 * @param endReason why it ended ({@code exited}, {@code closed}, {@code idle}, ...), or null
 * @param recording the recording's file name under the recordings dir, or null (none, or deleted)
 * @param recordingTruncated whether the recording stopped at {@code --recording-max-bytes} (the session went on)
 */
public record ShellSessionRecord(String id, String agentId, String actor, String source, List<String> command,
        String term, int rows, int cols, long startedAt, Long endedAt, long bytesIn, long bytesOut,
        Integer exitCode, String signal, String endReason, String recording, boolean recordingTruncated) {

    /** How a session ended. */
    record End(long endedAt, long bytesIn, long bytesOut, Integer exitCode, String signal, String reason,
            boolean recordingTruncated) {

        End withRecordingTruncated(boolean value) {
            return new End(endedAt, bytesIn, bytesOut, exitCode, signal, reason, value);
        }
    }

    /** A position in the newest-first listing. */
    public record Cursor(long startedAt, String id) {

        /** @return the cursor, or null when {@code text} is not one written by {@link #toString()} */
        public static Cursor parse(String text) {
            int dot = text.indexOf('.');
            if (dot <= 0 || ShellId.parse(text.substring(dot + 1)) == null) {
                return null;
            }
            try {
                return new Cursor(Long.parseLong(text.substring(0, dot)), text.substring(dot + 1));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return startedAt + "." + id;
        }
    }

    public Cursor cursor() {
        return new Cursor(startedAt, id);
    }
}
