package dev.tether.server.dispatch;

import java.security.SecureRandom;

/**
 * Ids of commands ({@code cmd_…}) and jobs ({@code job_…}): a prefix and 26 lowercase base32 characters, safe
 * in file names and environment variables. The first 10 characters are the creation time in milliseconds and
 * the other 16 are 80 random bits; the alphabet is in ASCII order, so ids sort by creation time.
 *
 * <p>Time first because every id is a key of its table's primary index: a command to 10,000 agents inserts
 * 10,000 job ids, and random ids landed all over that index (one page read and written again for almost every
 * job, more the longer the job history); ids that grow append to its last pages. 80 random bits keep ids
 * unguessable and distinct, many to a millisecond. Thread safe.
 */
final class Ids {

    /** Base32 in ASCII order: a later time is a greater string. */
    static final String ALPHABET = "234567abcdefghijklmnopqrstuvwxyz";
    static final int TIME_CHARACTERS = 10;
    private static final int RANDOM_CHARACTERS = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    static String command() {
        return "cmd_" + timeFirst(System.currentTimeMillis());
    }

    static String job() {
        return "job_" + timeFirst(System.currentTimeMillis());
    }

    /**
     * 10 characters of the time (50 bits: milliseconds until the year 37,000) and 16 of 5 random bits each, from
     * one draw of 10 bytes: a command to 10,000 agents names 10,000 jobs, and a draw per character made
     * SecureRandom a visible part of the command's time.
     */
    static String timeFirst(long epochMillis) {
        char[] out = new char[TIME_CHARACTERS + RANDOM_CHARACTERS];
        long time = epochMillis;
        for (int i = TIME_CHARACTERS - 1; i >= 0; i--) {
            out[i] = ALPHABET.charAt((int) (time & 31));
            time >>>= 5;
        }
        byte[] bits = new byte[RANDOM_CHARACTERS * 5 / 8];
        RANDOM.nextBytes(bits);
        for (int i = 0; i < RANDOM_CHARACTERS; i++) {
            out[TIME_CHARACTERS + i] = ALPHABET.charAt(fiveBits(bits, i * 5));
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
