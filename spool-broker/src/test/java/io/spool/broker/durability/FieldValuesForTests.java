package io.spool.broker.durability;

import com.rabbitmq.client.LongString;
import io.spool.broker.model.FieldTable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns field-table values, as the Java client or the broker decodes them, into values that
 * compare with {@code equals} and keep their exact type: a long string of either side becomes
 * "S:text", a byte array "x:hex"; numbers, booleans, decimals and dates stay as they are, so an
 * Integer that came back as a Long does not compare equal.
 */
final class FieldValuesForTests {

    private FieldValuesForTests() {}

    static Object normalize(Object v) {
        return switch (v) {
            case null -> null;
            case LongString s -> "S:" + new String(s.getBytes(), StandardCharsets.UTF_8);
            case String s -> "S:" + s;
            case FieldTable.RawLongString r -> "S:" + new String(r.bytes(), StandardCharsets.UTF_8);
            case byte[] b -> "x:" + HexFormat.of().formatHex(b);
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, value) -> out.put(k.toString(), normalize(value)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>();
                l.forEach(value -> out.add(normalize(value)));
                yield out;
            }
            default -> v;
        };
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> normalizeTable(Map<String, ?> table) {
        return table == null ? null : (Map<String, Object>) normalize(table);
    }
}
