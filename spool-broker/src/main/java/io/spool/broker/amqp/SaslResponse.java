package io.spool.broker.amqp;

import io.netty.buffer.Unpooled;
import io.spool.broker.model.ErrorKind;
import io.spool.broker.model.FieldTable;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Decodes SASL responses for the mechanisms offered in connection.start. */
final class SaslResponse {

    private SaslResponse() {}

    /** Returns {user, password}; a response that cannot be parsed gives empty credentials. */
    static String[] parse(String mechanism, byte[] response) {
        switch (mechanism) {
            case "PLAIN" -> {
                // authzid NUL authcid NUL password
                String s = new String(response, StandardCharsets.UTF_8);
                int first = s.indexOf('\0');
                int second = first < 0 ? -1 : s.indexOf('\0', first + 1);
                if (second < 0) {
                    throw new ProtocolException(ErrorKind.SYNTAX_ERROR, "PLAIN response is not authzid NUL user NUL password",
                            10, 11);
                }
                return new String[] {s.substring(first + 1, second), s.substring(second + 1)};
            }
            case "AMQPLAIN" -> {
                Map<String, Object> table;
                try {
                    table = FieldTable.readEntries(Unpooled.wrappedBuffer(response), response.length);
                } catch (RuntimeException e) {
                    throw new ProtocolException(ErrorKind.SYNTAX_ERROR, "AMQPLAIN response is not a field table",
                            10, 11);
                }
                Object login = table.get("LOGIN");
                Object password = table.get("PASSWORD");
                return new String[] {login == null ? "" : login.toString(), password == null ? "" : password.toString()};
            }
            default -> throw new ProtocolException(ErrorKind.COMMAND_INVALID,
                    "unknown authentication mechanism '" + mechanism + "'", 10, 11);
        }
    }
}
