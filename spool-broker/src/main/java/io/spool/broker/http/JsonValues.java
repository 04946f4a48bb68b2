package io.spool.broker.http;

import io.spool.broker.model.FieldTable;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns field-table values into values Jackson writes as plain JSON. */
final class JsonValues {

    private JsonValues() {}

    static Object of(Object v) {
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, val) -> out.put(String.valueOf(k), of(val)));
            return out;
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object o : list) {
                out.add(of(o));
            }
            return out;
        }
        if (v instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (v instanceof FieldTable.RawLongString r) {
            return r.toString();
        }
        if (v instanceof Date d) {
            return d.getTime() / 1000;
        }
        return v;
    }
}
