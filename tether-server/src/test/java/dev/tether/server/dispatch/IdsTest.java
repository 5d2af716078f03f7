package dev.tether.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Job and command ids: the creation time first, so they sort by it, then 80 random bits. */
class IdsTest {

    @Test
    void fiveBitsAreReadMostSignificantFirstAcrossByteBoundaries() {
        byte[] bits = {(byte) 0b1000_0100, (byte) 0b0010_0001, (byte) 0b0011_0000};
        assertThat(IntStream.range(0, 4).map(i -> Ids.fiveBits(bits, i * 5)).boxed().toList())
                .isEqualTo(List.of(0b10000, 0b10000, 0b10000, 0b10011));
    }

    @Test
    void theAlphabetIsInAsciiOrderSoALaterTimeIsAGreaterString() {
        assertThat(Ids.ALPHABET.chars().sorted().toArray()).isEqualTo(Ids.ALPHABET.chars().toArray());
        assertThat(Ids.ALPHABET).hasSize(32).matches("[a-z2-7]+");
        long[] times = {0, 1, 31, 32, 1_000, 1_765_000_000_000L, 1_765_000_000_001L, 1_765_000_031_999L,
            4_102_444_800_000L, (1L << 50) - 1};
        List<String> ids = new ArrayList<>();
        for (long time : times) {
            ids.add(Ids.timeFirst(time));
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(Ids.timeFirst(0)).startsWith("2222222222");
        assertThat(Ids.timeFirst((1L << 50) - 1)).startsWith("zzzzzzzzzz");
    }

    @Test
    void idsMadeLaterSortAfterIdsMadeEarlier() throws InterruptedException {
        String first = Ids.job();
        Thread.sleep(2);
        String second = Ids.job();
        assertThat(second).isGreaterThan(first);
        assertThat(Ids.command()).startsWith("cmd_").isGreaterThan("cmd_" + first.substring(4));
    }

    @Test
    void tenThousandJobIdsInOneMillisecondAreDistinctAndEveryRandomPositionTakesEveryLetter() {
        long now = System.currentTimeMillis();
        Set<String> ids = new HashSet<>();
        List<Set<Character>> lettersAt = IntStream.range(0, 16).mapToObj(i -> (Set<Character>) new HashSet<Character>())
                .toList();
        for (int i = 0; i < 10_000; i++) {
            String id = Ids.timeFirst(now);
            assertThat(id).matches("[a-z2-7]{26}").startsWith(Ids.timeFirst(now).substring(0, Ids.TIME_CHARACTERS));
            ids.add(id);
            for (int position = 0; position < 16; position++) {
                lettersAt.get(position).add(id.charAt(Ids.TIME_CHARACTERS + position));
            }
        }
        assertThat(ids).hasSize(10_000);
        assertThat(lettersAt).allSatisfy(letters -> assertThat(letters).hasSize(32));
        assertThat(Ids.job()).matches("job_[a-z2-7]{26}");
    }
}
