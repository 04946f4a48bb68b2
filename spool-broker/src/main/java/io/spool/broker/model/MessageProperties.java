package io.spool.broker.model;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Collections;
import java.util.Map;

/**
 * The properties of a message (content type, headers, delivery mode, ...), read from and kept in
 * the AMQP 0-9-1 basic-class encoding: a 16-bit flag word, then each present property in order.
 * That encoding is Spool's canonical message header format; other protocols convert to it.
 *
 * <p>The encoded bytes are kept as they arrived, so a message is delivered byte-for-byte as it
 * was published unless the broker has to change a property (then {@link Builder} re-encodes).
 * Headers are decoded only when asked for. Immutable; safe from any thread.
 */
public final class MessageProperties {

    private static final int CONTENT_TYPE = 1 << 15;
    private static final int CONTENT_ENCODING = 1 << 14;
    private static final int HEADERS = 1 << 13;
    private static final int DELIVERY_MODE = 1 << 12;
    private static final int PRIORITY = 1 << 11;
    private static final int CORRELATION_ID = 1 << 10;
    private static final int REPLY_TO = 1 << 9;
    private static final int EXPIRATION = 1 << 8;
    private static final int MESSAGE_ID = 1 << 7;
    private static final int TIMESTAMP = 1 << 6;
    private static final int TYPE = 1 << 5;
    private static final int USER_ID = 1 << 4;
    private static final int APP_ID = 1 << 3;
    private static final int CLUSTER_ID = 1 << 2;
    private static final int CONTINUATION = 1;

    public static final MessageProperties EMPTY = decode(new byte[] {0, 0});

    private final byte[] raw;
    private final int headersOffset;
    private final String contentType;
    private final String contentEncoding;
    private final Integer deliveryMode;
    private final Integer priority;
    private final String correlationId;
    private final String replyTo;
    private final String expiration;
    private final String messageId;
    private final Long timestamp;
    private final String type;
    private final String userId;
    private final String appId;
    private final String clusterId;
    private volatile Map<String, Object> headers;

    private MessageProperties(byte[] raw) {
        this.raw = raw;
        ByteBuf in = Unpooled.wrappedBuffer(raw);
        int flags = in.readUnsignedShort();
        if ((flags & CONTINUATION) != 0) {
            throw new FieldTable.MalformedTableException("property flags continuation is not supported");
        }
        contentType = (flags & CONTENT_TYPE) != 0 ? FieldTable.readShortString(in) : null;
        contentEncoding = (flags & CONTENT_ENCODING) != 0 ? FieldTable.readShortString(in) : null;
        if ((flags & HEADERS) != 0) {
            headersOffset = in.readerIndex();
            long length = in.readUnsignedInt();
            if (length > in.readableBytes()) {
                throw new FieldTable.MalformedTableException("headers table length exceeds the frame");
            }
            in.skipBytes((int) length);
        } else {
            headersOffset = -1;
            headers = Collections.emptyMap();
        }
        deliveryMode = (flags & DELIVERY_MODE) != 0 ? (int) in.readUnsignedByte() : null;
        priority = (flags & PRIORITY) != 0 ? (int) in.readUnsignedByte() : null;
        correlationId = (flags & CORRELATION_ID) != 0 ? FieldTable.readShortString(in) : null;
        replyTo = (flags & REPLY_TO) != 0 ? FieldTable.readShortString(in) : null;
        expiration = (flags & EXPIRATION) != 0 ? FieldTable.readShortString(in) : null;
        messageId = (flags & MESSAGE_ID) != 0 ? FieldTable.readShortString(in) : null;
        timestamp = (flags & TIMESTAMP) != 0 ? in.readLong() : null;
        type = (flags & TYPE) != 0 ? FieldTable.readShortString(in) : null;
        userId = (flags & USER_ID) != 0 ? FieldTable.readShortString(in) : null;
        appId = (flags & APP_ID) != 0 ? FieldTable.readShortString(in) : null;
        clusterId = (flags & CLUSTER_ID) != 0 ? FieldTable.readShortString(in) : null;
        if (in.isReadable()) {
            throw new FieldTable.MalformedTableException("content header has " + in.readableBytes()
                    + " bytes after its properties");
        }
    }

    /**
     * Decodes properties from their wire form (flags then fields).
     *
     * @throws FieldTable.MalformedTableException if the bytes are not a valid property list
     * @throws IndexOutOfBoundsException if they are truncated
     */
    public static MessageProperties decode(byte[] raw) {
        return new MessageProperties(raw);
    }

    /** The encoded form, exactly as received. Callers must not modify it. */
    public byte[] raw() {
        return raw;
    }

    public boolean hasHeaders() {
        return headersOffset >= 0;
    }

    /** The headers table, decoded on first use; empty when absent. Do not modify. */
    public Map<String, Object> headers() {
        Map<String, Object> h = headers;
        if (h == null) {
            ByteBuf in = Unpooled.wrappedBuffer(raw);
            in.readerIndex(headersOffset);
            h = Collections.unmodifiableMap(FieldTable.read(in));
            headers = h;
        }
        return h;
    }

    public String contentType() { return contentType; }
    public String contentEncoding() { return contentEncoding; }
    public Integer deliveryMode() { return deliveryMode; }
    public Integer priority() { return priority; }
    public String correlationId() { return correlationId; }
    public String replyTo() { return replyTo; }
    public String expiration() { return expiration; }
    public String messageId() { return messageId; }
    public Long timestamp() { return timestamp; }
    public String type() { return type; }
    public String userId() { return userId; }
    public String appId() { return appId; }
    public String clusterId() { return clusterId; }

    /** True for delivery mode 2, the persistent messages a durable queue keeps across restarts. */
    public boolean persistent() {
        return deliveryMode != null && deliveryMode == 2;
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a changed copy; {@link #build()} encodes it afresh. */
    public static final class Builder {
        private String contentType;
        private String contentEncoding;
        private Map<String, Object> headers;
        private Integer deliveryMode;
        private Integer priority;
        private String correlationId;
        private String replyTo;
        private String expiration;
        private String messageId;
        private Long timestamp;
        private String type;
        private String userId;
        private String appId;
        private String clusterId;

        public Builder() {}

        private Builder(MessageProperties p) {
            contentType = p.contentType;
            contentEncoding = p.contentEncoding;
            headers = p.hasHeaders() ? p.headers() : null;
            deliveryMode = p.deliveryMode;
            priority = p.priority;
            correlationId = p.correlationId;
            replyTo = p.replyTo;
            expiration = p.expiration;
            messageId = p.messageId;
            timestamp = p.timestamp;
            type = p.type;
            userId = p.userId;
            appId = p.appId;
            clusterId = p.clusterId;
        }

        public Builder contentType(String v) { contentType = v; return this; }
        public Builder headers(Map<String, Object> v) { headers = v; return this; }
        public Builder deliveryMode(Integer v) { deliveryMode = v; return this; }
        public Builder priority(Integer v) { priority = v; return this; }
        public Builder replyTo(String v) { replyTo = v; return this; }
        public Builder expiration(String v) { expiration = v; return this; }
        public Builder messageId(String v) { messageId = v; return this; }

        public MessageProperties build() {
            ByteBuf out = Unpooled.buffer(64);
            int flags = 0;
            out.writeShort(0);
            if (contentType != null) { flags |= CONTENT_TYPE; FieldTable.writeShortString(out, contentType); }
            if (contentEncoding != null) { flags |= CONTENT_ENCODING; FieldTable.writeShortString(out, contentEncoding); }
            if (headers != null) { flags |= HEADERS; FieldTable.write(out, headers); }
            if (deliveryMode != null) { flags |= DELIVERY_MODE; out.writeByte(deliveryMode); }
            if (priority != null) { flags |= PRIORITY; out.writeByte(priority); }
            if (correlationId != null) { flags |= CORRELATION_ID; FieldTable.writeShortString(out, correlationId); }
            if (replyTo != null) { flags |= REPLY_TO; FieldTable.writeShortString(out, replyTo); }
            if (expiration != null) { flags |= EXPIRATION; FieldTable.writeShortString(out, expiration); }
            if (messageId != null) { flags |= MESSAGE_ID; FieldTable.writeShortString(out, messageId); }
            if (timestamp != null) { flags |= TIMESTAMP; out.writeLong(timestamp); }
            if (type != null) { flags |= TYPE; FieldTable.writeShortString(out, type); }
            if (userId != null) { flags |= USER_ID; FieldTable.writeShortString(out, userId); }
            if (appId != null) { flags |= APP_ID; FieldTable.writeShortString(out, appId); }
            if (clusterId != null) { flags |= CLUSTER_ID; FieldTable.writeShortString(out, clusterId); }
            out.setShort(0, flags);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return decode(bytes);
        }
    }
}
