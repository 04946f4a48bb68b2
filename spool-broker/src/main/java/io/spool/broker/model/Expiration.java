package io.spool.broker.model;

/**
 * The {@code expiration} property: a message's own TTL, a decimal number of milliseconds
 * written as a string. Checked at publish with RabbitMQ's rules and texts.
 */
public final class Expiration {

    private Expiration() {}

    /** The TTL in ms. Assumes {@link #check} passed; an unreadable value counts as none. */
    static long parse(String expiration) {
        try {
            long v = Long.parseLong(expiration);
            return v < 0 ? Long.MAX_VALUE : v;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Refuses an expiration that is not a whole number of ms between 0 and ten years:
     * {@code invalid expiration 'abc': no_integer}.
     */
    public static void check(String expiration) {
        String why = problem(expiration);
        if (why != null) {
            throw BrokerException.of(ErrorKind.PRECONDITION_FAILED, "invalid expiration '%s': %s", expiration, why);
        }
    }

    private static String problem(String s) {
        int i = 0;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            i++;
        }
        int digitsStart = i;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == digitsStart) {
            return "no_integer";
        }
        if (i < s.length()) {
            return "{leftover_string,\"" + s.substring(i) + "\"}";
        }
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            return "{value_too_large," + s + "}";
        }
        if (v < 0) {
            return "{value_negative," + v + "}";
        }
        if (v > QueueArguments.MAX_TTL) {
            return "{value_too_large," + v + "}";
        }
        return null;
    }
}
