package dev.tether.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Job and command ids: 130 random bits, every character position drawing from all 32 letters. */
class IdsTest {

    @Test
    void fiveBitsAreReadMostSignificantFirstAcrossByteBoundaries() {
        byte[] bits = {(byte) 0b1000_0100, (byte) 0b0010_0001, (byte) 0b0011_0000};
        assertThat(IntStream.range(0, 4).map(i -> Ids.fiveBits(bits, i * 5)).boxed().toList())
                .isEqualTo(List.of(0b10000, 0b10000, 0b10000, 0b10011));
    }

    @Test
    void tenThousandJobIdsAreDistinctAndEveryPositionTakesEveryLetter() {
        Set<String> ids = new HashSet<>();
        List<Set<Character>> lettersAt = IntStream.range(0, 26).mapToObj(i -> (Set<Character>) new HashSet<Character>())
                .toList();
        for (int i = 0; i < 10_000; i++) {
            String id = Ids.job();
            assertThat(id).matches("job_[a-z2-7]{26}");
            ids.add(id);
            for (int position = 0; position < 26; position++) {
                lettersAt.get(position).add(id.charAt(4 + position));
            }
        }
        assertThat(ids).hasSize(10_000);
        assertThat(lettersAt).allSatisfy(letters -> assertThat(letters).hasSize(32));
    }
}
