package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CloseCodesTest {

    @Test
    void aReasonLongerThanAControlFrameAllowsIsCutAtACharacterBoundaryWithin123Bytes() {
        String reason = "é".repeat(100) + "€".repeat(100);

        String fitted = CloseCodes.fitReason(reason);

        byte[] bytes = fitted.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).hasSizeLessThanOrEqualTo(Limits.MAX_CLOSE_REASON_BYTES).hasSizeGreaterThan(120);
        assertThat(reason).startsWith(fitted);
        assertThat(fitted).doesNotContain("\uFFFD");
    }

    @Test
    void aShortReasonIsKeptAndNoneBecomesEmpty() {
        assertThat(CloseCodes.fitReason("agent key revoked")).isEqualTo("agent key revoked");
        assertThat(CloseCodes.fitReason(null)).isEmpty();
    }
}
