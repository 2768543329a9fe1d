package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.slirp4netns.ApiRequest.Outcome;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading the API socket's requests: whole, partial, malformed, hostile. */
class ApiRequestTest {
    private static ApiRequest.Parsed parse(String text, boolean ended) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return ApiRequest.parse(b, 0, b.length, ended);
    }

    @Test
    void rootlesskitsRequestReadsWithItsTrailingNewline() {
        ApiRequest.Parsed p = parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\","
                + "\"host_port\":8080,\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}}\n", false);
        assertThat(p.outcome()).isEqualTo(Outcome.REQUEST);
        ApiRequest r = p.request();
        assertThat(r.execute()).isEqualTo("add_hostfwd");
        assertThat(r.string("proto")).isEqualTo("tcp");
        assertThat(r.string("host_addr")).isEqualTo("127.0.0.1");
        assertThat(r.wholeNumber("host_port", 1, 65535)).isEqualTo(8080);
        assertThat(r.wholeNumber("guest_port", 1, 65535)).isEqualTo(80);
    }

    @Test
    void aValueNotYetEndedWaitsForMoreUnlessTheClientIsDone() {
        for (String partial : new String[] {"", "  ", "{", "{\"execute\":", "{\"execute\":\"list_h", "12"}) {
            assertThat(parse(partial, false).outcome()).as(partial).isEqualTo(Outcome.INCOMPLETE);
        }
        assertThat(parse("", true).outcome()).isEqualTo(Outcome.NOT_JSON);
        assertThat(parse("{\"execute\":", true).outcome()).isEqualTo(Outcome.NOT_JSON);
        assertThat(parse("12", true).outcome()).isEqualTo(Outcome.NOT_OBJECT);
        assertThat(parse("[1,", false).outcome()).as("an array never becomes a request").isEqualTo(Outcome.NOT_OBJECT);
    }

    @Test
    void whatFollowsTheFirstValueIsIgnoredAsParsonDoes() {
        ApiRequest.Parsed p = parse("{\"execute\":\"list_hostfwd\"} trailing {garbage", false);
        assertThat(p.outcome()).isEqualTo(Outcome.REQUEST);
        assertThat(p.request().execute()).isEqualTo("list_hostfwd");
    }

    @Test
    void malformedTextIsNotJson() {
        for (String bad : new String[] {"nonsense", "{execute: 1}", "{\"a\" 1}", "{\"a\":1,}", "\u0000",
            "{\"execute\":\"x\",\"execute\":\"y\"}"}) {
            assertThat(parse(bad, true).outcome()).as(bad).isEqualTo(Outcome.NOT_JSON);
        }
    }

    @Test
    void jsonThatIsNoObjectIsToldApart() {
        for (String value : new String[] {"[1,2]", "\"add_hostfwd\"", "true", "null", "42"}) {
            assertThat(parse(value, true).outcome()).as(value).isEqualTo(Outcome.NOT_OBJECT);
        }
    }

    @Test
    void executeMustBeAStringAndArgumentsAnObject() {
        ApiRequest r = parse("{\"execute\":1,\"arguments\":[1]}", true).request();
        assertThat(r.execute()).isNull();
        assertThat(r.arguments()).isEmpty();
    }

    @Test
    void nestedArgumentValuesAreSkippedAndOnlyWholeNumbersInRangeCount() {
        ApiRequest r = parse("{\"arguments\":{\"a\":{\"deep\":[1,{\"x\":2}]},\"p\":80.0,\"q\":80.5,\"r\":\"80\","
                + "\"s\":70000,\"t\":-1,\"u\":1e400},\"execute\":\"add_hostfwd\"}", true).request();
        assertThat(r.execute()).isEqualTo("add_hostfwd");
        assertThat(r.arguments()).containsOnlyKeys("p", "q", "r", "s", "t", "u");
        assertThat(r.arguments().get("p")).isEqualTo(new BigDecimal("80.0"));
        assertThat(r.wholeNumber("p", 1, 65535)).isEqualTo(80);
        assertThat(r.wholeNumber("q", 1, 65535)).as("fractional").isEqualTo(-1);
        assertThat(r.wholeNumber("r", 1, 65535)).as("a string").isEqualTo(-1);
        assertThat(r.wholeNumber("s", 1, 65535)).as("out of range").isEqualTo(-1);
        assertThat(r.wholeNumber("t", 1, 65535)).isEqualTo(-1);
        assertThat(r.wholeNumber("u", 1, 65535)).isEqualTo(-1);
        assertThat(r.wholeNumber("missing", 1, 65535)).isEqualTo(-1);
        assertThat(r.string("p")).isNull();
    }

    @Test
    void deepNestingWithinTheSizeBoundIsRefusedNotOverflowed() {
        String deep = "{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}";
        assertThat(parse(deep, true).outcome()).isEqualTo(Outcome.NOT_JSON);
    }
}
