package dev.tether.server.dispatch;

import java.security.SecureRandom;

/**
 * Ids of commands ({@code cmd_…}) and jobs ({@code job_…}): a prefix and 26
 * lowercase base32 characters (130 random bits), safe in file names and
 * environment variables. Thread safe.
 */
final class Ids {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int CHARACTERS = 26;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    static String command() {
        return "cmd_" + random();
    }

    static String job() {
        return "job_" + random();
    }

    /**
     * 26 characters of 5 random bits each, from one draw of 17 bytes: a command to 10,000 agents names 10,000
     * jobs, and a draw per character (26 for each) made SecureRandom a visible part of the command's time.
     */
    private static String random() {
        byte[] bits = new byte[(CHARACTERS * 5 + 7) / 8];
        RANDOM.nextBytes(bits);
        char[] out = new char[CHARACTERS];
        for (int i = 0; i < CHARACTERS; i++) {
            out[i] = ALPHABET[fiveBits(bits, i * 5)];
        }
        return new String(out);
    }

    /** The 5 bits of {@code bits} starting at bit {@code from} (most significant first). */
    static int fiveBits(byte[] bits, int from) {
        int value = 0;
        for (int bit = from; bit < from + 5; bit++) {
            value = value << 1 | (bits[bit >> 3] >> (7 - (bit & 7))) & 1;
        }
        return value;
    }
}
