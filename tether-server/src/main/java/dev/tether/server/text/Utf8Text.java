package dev.tether.server.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes one output stream, chunk by chunk, as UTF-8 text: invalid bytes
 * become U+FFFD, and a character split across two chunks is kept whole (its
 * first bytes wait for the next chunk). Not thread safe: one per stream.
 */
public final class Utf8Text {

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** The bytes of an incomplete character at the end of the last chunk (3 at most). */
    private byte[] carry = new byte[0];

    /** The text of the next chunk; an incomplete character at its end is held back. */
    public String decode(byte[] chunk) {
        ByteBuffer in = ByteBuffer.allocate(carry.length + chunk.length).put(carry).put(chunk).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        carry = new byte[in.remaining()];
        in.get(carry);
        return out.flip().toString();
    }

    /** Whether the first bytes of a character wait for the next chunk: the next chunk's text is not its bytes alone. */
    public boolean holdsPartial() {
        return carry.length > 0;
    }

    /** What is held back, decoded as it is (the stream ended inside a character). */
    public String finish() {
        ByteBuffer in = ByteBuffer.wrap(carry);
        CharBuffer out = CharBuffer.allocate(carry.length + 1);
        decoder.decode(in, out, true);
        decoder.flush(out);
        decoder.reset();
        carry = new byte[0];
        return out.flip().toString();
    }
}
