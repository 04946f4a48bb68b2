package io.spool.broker.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code x-delay} header of messages published to an {@code x-delayed-message} exchange,
 * read as the RabbitMQ delayed-message plugin reads it: a delay in milliseconds from 1 to
 * 4,294,967,295. Stateless.
 *
 * <p>Accepted: short, int, long and the unsigned integer types; float and double, truncated;
 * a long string holding a decimal integer. Anything else means "no delay" and the message is
 * routed at once: no header, 0, a negative or too large value, a signed byte (the plugin does
 * not accept that type either), a string that is not an integer (it crashes the plugin's
 * routing; Spool routes it at once like every other unusable value), a decimal or a timestamp.
 */
public final class DelayHeader {

    public static final String NAME = "x-delay";
    /** The largest delay, as in the plugin (the largest Erlang timer). */
    public static final long MAX_MILLIS = 4_294_967_295L;

    private DelayHeader() {}

    /** The delay a message asks for, in milliseconds; 0 if it is not to be delayed. */
    public static long of(MessageProperties properties) {
        if (!properties.hasHeaders()) {
            return 0;
        }
        long delay = switch (properties.headers().get(NAME)) {
            case Short s -> s;
            case Integer i -> i;
            case Long l -> l;
            case Float f -> truncate(f);
            case Double d -> truncate(d);
            case String s -> parse(s);
            case null, default -> 0;
        };
        return delay >= 1 && delay <= MAX_MILLIS ? delay : 0;
    }

    private static long truncate(double d) {
        // NaN gives 0; infinities and huge values saturate, and are then too large.
        return (long) d;
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The message as it leaves the delayed exchange when due: {@code x-delay} set to minus the
     * delay (a long), as the plugin marks it. Routing it again therefore never delays it twice.
     */
    static Message delivered(Message m) {
        long delay = of(m.properties());
        if (delay == 0) {
            return m;
        }
        Map<String, Object> headers = new LinkedHashMap<>(m.properties().headers());
        headers.put(NAME, -delay);
        return m.withProperties(m.properties().toBuilder().headers(headers).build());
    }
}
