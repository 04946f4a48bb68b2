package io.spool.broker.model;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Compares field-table values the way RabbitMQ does when it matches headers and checks
 * arguments: by value within a type class, not by exact type. Integers of any width are one
 * class, floating point numbers another; strings and byte arrays compare by their bytes.
 */
public final class FieldValues {

    private FieldValues() {}

    public static boolean equivalent(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isIntegral(a) && isIntegral(b)) {
            return ((Number) a).longValue() == ((Number) b).longValue();
        }
        if (isFloating(a) && isFloating(b)) {
            return ((Number) a).doubleValue() == ((Number) b).doubleValue();
        }
        byte[] x = bytesOf(a);
        byte[] y = bytesOf(b);
        if (x != null && y != null) {
            return Arrays.equals(x, y);
        }
        if (a instanceof BigDecimal d && b instanceof BigDecimal e) {
            return d.compareTo(e) == 0;
        }
        return a.equals(b);
    }

    private static boolean isIntegral(Object o) {
        return o instanceof Byte || o instanceof Short || o instanceof Integer || o instanceof Long;
    }

    private static boolean isFloating(Object o) {
        return o instanceof Float || o instanceof Double;
    }

    private static byte[] bytesOf(Object o) {
        if (o instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (o instanceof FieldTable.RawLongString r) {
            return r.bytes();
        }
        if (o instanceof byte[] bytes) {
            return bytes;
        }
        return null;
    }
}
