package dev.tether.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.server.dispatch.Selector.Op;
import dev.tether.server.dispatch.Selector.Term;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Label selectors: the four kinds of term, AND semantics, and errors that name the position. */
class SelectorTest {

    private static final Map<String, String> PROD_DB = Map.of("env", "prod", "role", "db", "team/owner", "infra");

    @Test
    void termsParseIntoKeysOperatorsAndValues() {
        Selector selector = Selector.parse("env=prod, role!=web,gpu,!canary,zone=");

        assertThat(selector.terms()).containsExactly(
                new Term("env", Op.EQUALS, "prod"),
                new Term("role", Op.NOT_EQUALS, "web"),
                new Term("gpu", Op.EXISTS, null),
                new Term("canary", Op.ABSENT, null),
                new Term("zone", Op.EQUALS, ""));
    }

    @Test
    void everyTermMustMatch() {
        assertThat(Selector.parse("env=prod,role=db").matches(PROD_DB)).isTrue();
        assertThat(Selector.parse("env=prod,role=web").matches(PROD_DB)).isFalse();
        assertThat(Selector.parse("env=staging").matches(PROD_DB)).isFalse();
    }

    @Test
    void notEqualsMatchesADifferentOrAbsentValue() {
        assertThat(Selector.parse("role!=web").matches(PROD_DB)).isTrue();
        assertThat(Selector.parse("role!=db").matches(PROD_DB)).isFalse();
        assertThat(Selector.parse("zone!=eu").matches(PROD_DB)).isTrue();
    }

    @Test
    void existsAndAbsentLookOnlyAtTheKey() {
        assertThat(Selector.parse("team/owner").matches(PROD_DB)).isTrue();
        assertThat(Selector.parse("gpu").matches(PROD_DB)).isFalse();
        assertThat(Selector.parse("!gpu").matches(PROD_DB)).isTrue();
        assertThat(Selector.parse("!env").matches(PROD_DB)).isFalse();
    }

    @Test
    void valuesAreComparedExactly() {
        assertThat(Selector.parse("env=Prod").matches(PROD_DB)).isFalse();
        assertThat(Selector.parse("env=prod ").matches(PROD_DB)).isTrue();
    }

    @Test
    void emptyTermIsRejectedAtItsPosition() {
        assertError("env=prod,,role=db", 10, "expected a term");
        assertError("env=prod,", 10, "expected a term");
        assertError(",env=prod", 1, "expected a term");
    }

    @Test
    void missingKeyIsRejectedAtItsPosition() {
        assertError("env=prod,=db", 10, "expected a label key");
        assertError("!", 2, "expected a label key");
        assertError("!=x", 1, "expected a label key");
    }

    @Test
    void invalidCharactersAreRejectedAtTheirPosition() {
        assertError("env=prod,ro le=db", 12, "invalid character ' '");
        assertError("env=prod,-role=db", 10, "invalid character '-'");
        assertError("!env=prod", 5, "unexpected '='");
        assertError("env=a=b", 6, "unexpected '=' in a value");
        assertError("env=a\tb", 6, "unexpected '\\u0009' in a value");
    }

    @Test
    void blankOrOverlongSelectorIsRejected() {
        assertThatThrownBy(() -> Selector.parse("  ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> Selector.parse("k=" + "v".repeat(Selector.MAX_LENGTH)))
                .hasMessageContaining("longer than " + Selector.MAX_LENGTH);
        assertError("k".repeat(64), 1, "at most 63 characters");
    }

    private static void assertError(String selector, int position, String problem) {
        assertThatThrownBy(() -> Selector.parse(selector))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at position " + position + ":")
                .hasMessageContaining(problem);
    }
}
