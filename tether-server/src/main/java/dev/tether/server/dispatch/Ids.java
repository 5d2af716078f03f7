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

    private static String random() {
        char[] out = new char[CHARACTERS];
        for (int i = 0; i < CHARACTERS; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }
}
