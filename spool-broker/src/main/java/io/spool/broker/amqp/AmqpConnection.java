package io.spool.broker.amqp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import io.spool.broker.BrokerConfig;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.amqp.method.BasicMethod;
import io.spool.broker.amqp.method.ChannelMethod;
import io.spool.broker.amqp.method.ConnectionMethod;
import io.spool.broker.auth.Authenticator;
import io.spool.broker.model.BrokerException;
import io.spool.broker.model.Consumer;
import io.spool.broker.model.ErrorKind;
import io.spool.broker.model.Message;
import io.spool.broker.model.QueueEntry;
import io.spool.broker.model.ResourceAlarms;
import io.spool.broker.model.VirtualHost;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: the handshake, the channels, heartbeats, blocking under the memory
 * alarm, the outbox that carries deliveries to the socket, and closing in both directions.
 *
 * <p>Thread: the Netty event loop the connection was assigned to. Other threads reach it only
 * through {@link #runOnLoop}, the outbox, and the volatile flags read by queues.
 */
public final class AmqpConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(AmqpConnection.class);

    /** Time a client gets to answer our connection.close before the socket is closed. */
    private static final long CLOSE_OK_TIMEOUT_MILLIS = 3_000;
    /** After a framing error we cannot read the client's close-ok; close this long after ours. */
    private static final long FRAMING_ERROR_LINGER_MILLIS = 500;
    /**
     * Largest buffer a drain fills before handing it to the socket. Netty pools buffers up to
     * about 16 KiB in every configuration; larger ones cost a fresh allocation (and on small
     * heaps a JVM-wide pause to free), so batches stay below that.
     */
    private static final int DRAIN_BATCH_BYTES = 16 * 1024 - 256;

    private enum State { AWAITING_HEADER, STARTING, TUNING, OPENING, OPEN, CLOSING, CLOSED }

    private final AmqpServer server;
    private final BrokerConfig config;
    private final FrameDecoder decoder;
    private final IntObjectHashMap<AmqpChannel> channels = new IntObjectHashMap<>();
    private final List<AmqpChannel> confirmsPending = new ArrayList<>();
    private ChannelHandlerContext ctx;
    private DeliveryOutbox outbox;
    private State state = State.AWAITING_HEADER;
    private String name = "(not connected)";
    private long frameMax;
    private int channelMax;
    private int heartbeatSeconds;
    private String user;
    private VirtualHost vhost;
    private Map<String, Object> clientProperties = Map.of();
    private boolean clientBlockedNotify;
    private boolean clientCancelNotify;
    private long lastReadNanos;
    private boolean wroteSinceHeartbeat;
    private boolean blocked;
    private boolean blockedNotified;
    private volatile boolean starved;
    private ScheduledFuture<?> handshakeTimer;
    private ScheduledFuture<?> heartbeatTimer;
    private ScheduledFuture<?> consumerTimeoutTimer;

    AmqpConnection(AmqpServer server, FrameDecoder decoder) {
        this.server = server;
        this.config = server.config();
        this.decoder = decoder;
        this.frameMax = config.frameMax();
    }

    // ---- accessors used by channels ----

    BrokerConfig config() {
        return config;
    }

    String user() {
        return user;
    }

    DeliveryOutbox outbox() {
        return outbox;
    }

    boolean clientCancelNotify() {
        return clientCancelNotify;
    }

    /** "client address -> broker address", for logs and the management API. */
    public String name() {
        return name;
    }

    public String userName() {
        return user;
    }

    public Map<String, Object> clientProperties() {
        return clientProperties;
    }

    public int channelCount() {
        return channels.size();
    }

    // ---- Netty events ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.outbox = new DeliveryOutbox(ctx.channel().eventLoop(), this::drainOutbox);
        this.name = address(ctx.channel().remoteAddress()) + " -> " + address(ctx.channel().localAddress());
        this.lastReadNanos = System.nanoTime();
        if (!server.register(this)) {
            log.warn("refusing connection {}: the limit of {} connections is reached", name, config.maxConnections());
            ctx.close();
            return;
        }
        log.info("accepting AMQP connection {}", name);
        handshakeTimer = ctx.executor().schedule(() -> {
            if (state.compareTo(State.OPEN) < 0) {
                log.warn("closing AMQP connection {}: handshake not completed within {} ms", name,
                        config.handshakeTimeoutMillis());
                ctx.close();
            }
        }, config.handshakeTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    /** "127.0.0.1:5672", as RabbitMQ writes addresses in connection names (no leading slash). */
    private static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(a);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        DeferredWakeups.end();
        if (state != State.CLOSED) {
            if (state == State.OPEN) {
                log.info("client unexpectedly closed TCP connection {}", name);
            }
            state = State.CLOSED;
        }
        cancelTimers();
        releaseChannels();
        if (vhost != null) {
            vhost.deleteExclusiveQueues(this);
        }
        server.unregister(this);
        // Deliveries queued after the channels closed go back to their queues.
        drainOutbox();
        log.info("closed AMQP connection {}", name);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DeferredWakeups.begin();
        try {
            if (msg instanceof Frame frame) {
                onFrame(frame);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastReadNanos = System.nanoTime();
        DeferredWakeups.end();
        if (!confirmsPending.isEmpty()) {
            for (AmqpChannel ch : confirmsPending) {
                ch.flushConfirms();
            }
            confirmsPending.clear();
        }
        flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            resumeIfStarved();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof java.io.IOException) {
            log.debug("I/O error on connection {}: {}", name, cause.toString());
        } else {
            log.error("unexpected error on connection {}", name, cause);
        }
        ctx.close();
    }

    // ---- frames ----

    private void onFrame(Frame frame) {
        switch (frame) {
            case Frame.ProtocolHeader h -> onProtocolHeader(h);
            case Frame.Malformed m -> {
                log.warn("closing AMQP connection {}: {}", name, m.text());
                closeWithError(m.kind(), m.text(), m.classId(), m.methodId());
                ctx.executor().schedule(() -> { ctx.close(); }, FRAMING_ERROR_LINGER_MILLIS, TimeUnit.MILLISECONDS);
            }
            default -> {
                if (state == State.CLOSING) {
                    onFrameWhileClosing(frame);
                } else if (state != State.CLOSED) {
                    dispatchSafely(frame);
                }
            }
        }
    }

    private void onProtocolHeader(Frame.ProtocolHeader h) {
        if (!h.supported()) {
            log.warn("closing connection {}: protocol header is not AMQP 0-9-1", name);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(FrameDecoder.PROTOCOL_HEADER))
                    .addListener(ChannelFutureListener.CLOSE);
            state = State.CLOSED;
            return;
        }
        state = State.STARTING;
        writeAndFlush(0, new ConnectionMethod.Start(0, 9, ServerProperties.build(), "PLAIN AMQPLAIN", "en_US"));
    }

    private void dispatchSafely(Frame frame) {
        int classId = 0;
        int methodId = 0;
        if (frame instanceof Frame.MethodFrame mf) {
            classId = mf.method().classId();
            methodId = mf.method().methodId();
        } else if (frame instanceof Frame.ContentHeader || frame instanceof Frame.ContentBody) {
            classId = 60;
            methodId = 40;
        }
        try {
            dispatch(frame);
        } catch (ProtocolException e) {
            fail(channelOf(frame), e.kind(), e.getMessage(), e.classId(), e.methodId());
        } catch (BrokerException e) {
            fail(channelOf(frame), e.kind(), e.getMessage(), classId, methodId);
        } catch (RuntimeException e) {
            log.error("internal error on connection {} handling {}", name, frame, e);
            closeWithError(ErrorKind.INTERNAL_ERROR, "internal error handling " + describe(frame), classId, methodId);
        }
    }

    private static int channelOf(Frame frame) {
        return switch (frame) {
            case Frame.MethodFrame f -> f.channel();
            case Frame.ContentHeader f -> f.channel();
            case Frame.ContentBody f -> f.channel();
            case Frame.Heartbeat f -> f.channel();
            default -> 0;
        };
    }

    private static String describe(Frame frame) {
        return frame instanceof Frame.MethodFrame mf ? mf.method().name() : frame.getClass().getSimpleName();
    }

    /** Routes an error to the channel (soft) or the whole connection (hard). */
    private void fail(int channelNumber, ErrorKind kind, String text, int classId, int methodId) {
        AmqpChannel ch = channels.get(channelNumber);
        if (!kind.hard() && channelNumber != 0 && ch != null) {
            log.debug("closing channel {} of {}: {} - {}", channelNumber, name, kind, text);
            ch.closeWithError(new BrokerException(kind, text), classId, methodId);
            return;
        }
        log.warn("closing AMQP connection {}: {} - {}", name, kind, text);
        closeWithError(kind, text, classId, methodId);
    }

    private void dispatch(Frame frame) {
        if (frame instanceof Frame.Heartbeat hb) {
            if (hb.channel() != 0) {
                throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                        "heartbeat frame on channel " + hb.channel() + "; heartbeats belong on channel 0", 0, 0);
            }
            return;
        }
        if (state != State.OPEN) {
            handshake(frame);
            return;
        }
        int channelNumber = channelOf(frame);
        if (channelNumber == 0) {
            onConnectionFrame(frame);
            return;
        }
        AmqpChannel ch = channels.get(channelNumber);
        switch (frame) {
            case Frame.MethodFrame mf when mf.method() instanceof ChannelMethod.Open -> openChannel(channelNumber, ch);
            case Frame.MethodFrame mf -> {
                if (ch == null) {
                    throw new ProtocolException(ErrorKind.CHANNEL_ERROR, "expected 'channel.open'",
                            mf.method().classId(), mf.method().methodId());
                }
                ch.onMethod(mf.method());
            }
            case Frame.ContentHeader h -> requireChannel(ch).onHeader(h);
            case Frame.ContentBody b -> requireChannel(ch).onBody(b);
            default -> throw new IllegalStateException("unexpected frame " + frame);
        }
    }

    private static AmqpChannel requireChannel(AmqpChannel ch) {
        if (ch == null) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected method frame, got non method frame instead", 0, 0);
        }
        return ch;
    }

    private void openChannel(int number, AmqpChannel existing) {
        if (existing != null) {
            throw new ProtocolException(ErrorKind.CHANNEL_ERROR, "second 'channel.open' seen", 20, 10);
        }
        if (number > channelMax) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED,
                    "channel number " + number + " is above the negotiated channel_max (" + channelMax + ")", 20, 10);
        }
        if (channels.size() >= channelMax) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED, "number of channels opened (" + channels.size()
                    + ") has reached the negotiated channel_max (" + channelMax + ")", 0, 0);
        }
        channels.put(number, new AmqpChannel(this, number, vhost));
        write(number, new ChannelMethod.OpenOk());
    }

    /** Called by a channel once its close handshake is over; the number may be reused. */
    void channelClosed(AmqpChannel ch) {
        channels.remove(ch.number(), ch);
        confirmsPending.remove(ch);
    }

    private void onConnectionFrame(Frame frame) {
        if (!(frame instanceof Frame.MethodFrame mf)) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "content frame on channel 0; content belongs on a channel", 0, 0);
        }
        switch (mf.method()) {
            case ConnectionMethod.Close c -> {
                log.info("client closed AMQP connection {} ({} {})", name, c.replyCode(), c.replyText());
                releaseChannels();
                state = State.CLOSED;
                ctx.writeAndFlush(encode(0, new ConnectionMethod.CloseOk())).addListener(ChannelFutureListener.CLOSE);
            }
            case ConnectionMethod.UpdateSecret u -> {
                if (!server.authenticator().validSecret(user, new String(u.newSecret(), StandardCharsets.UTF_8))) {
                    throw new ProtocolException(ErrorKind.NOT_ALLOWED, "New secret was refused by one of the backends",
                            10, 70);
                }
                log.info("connection {} updated its secret ({})", name, u.reason());
                write(0, new ConnectionMethod.UpdateSecretOk());
            }
            default -> throw new ProtocolException(ErrorKind.CHANNEL_ERROR,
                    "unexpected method in connection state running", mf.method().classId(), mf.method().methodId());
        }
    }

    // ---- handshake ----

    private void handshake(Frame frame) {
        if (!(frame instanceof Frame.MethodFrame mf) || mf.channel() != 0) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected a connection method on channel 0 during the handshake", 0, 0);
        }
        AmqpMethod method = mf.method();
        if (method instanceof ConnectionMethod.Close) {
            // A client may give up during the handshake; that is not an error.
            state = State.CLOSED;
            ctx.writeAndFlush(encode(0, new ConnectionMethod.CloseOk())).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        switch (state) {
            case STARTING -> {
                if (!(method instanceof ConnectionMethod.StartOk startOk)) {
                    throw unexpectedInHandshake(method);
                }
                onStartOk(startOk);
            }
            case TUNING -> {
                if (!(method instanceof ConnectionMethod.TuneOk tuneOk)) {
                    throw unexpectedInHandshake(method);
                }
                onTuneOk(tuneOk);
            }
            case OPENING -> {
                if (!(method instanceof ConnectionMethod.Open open)) {
                    throw unexpectedInHandshake(method);
                }
                onOpen(open);
            }
            default -> throw unexpectedInHandshake(method);
        }
    }

    private ProtocolException unexpectedInHandshake(AmqpMethod method) {
        return new ProtocolException(ErrorKind.CHANNEL_ERROR, "unexpected method " + method.name()
                + " in connection state " + state.name().toLowerCase(), method.classId(), method.methodId());
    }

    private void onStartOk(ConnectionMethod.StartOk startOk) {
        clientProperties = startOk.clientProperties();
        if (clientProperties.get("capabilities") instanceof Map<?, ?> caps) {
            clientBlockedNotify = Boolean.TRUE.equals(caps.get("connection.blocked"));
            clientCancelNotify = Boolean.TRUE.equals(caps.get("consumer_cancel_notify"));
        }
        String[] credentials = SaslResponse.parse(startOk.mechanism(), startOk.response());
        SocketAddress remote = ctx.channel().remoteAddress();
        Authenticator.Result result = server.authenticator().authenticate(credentials[0], credentials[1], remote);
        if (!result.accepted()) {
            log.warn("{} login refused on connection {}: {}", startOk.mechanism(), name, result.reason());
            throw new ProtocolException(ErrorKind.ACCESS_REFUSED, "Login was refused using authentication mechanism "
                    + startOk.mechanism() + ". For details see the broker logfile.", 0, 0);
        }
        user = result.user();
        state = State.TUNING;
        writeAndFlush(0, new ConnectionMethod.Tune(config.channelMax(), config.frameMax(), config.heartbeatSeconds()));
    }

    private void onTuneOk(ConnectionMethod.TuneOk tuneOk) {
        long requestedFrameMax = tuneOk.frameMax();
        if (requestedFrameMax != 0 && requestedFrameMax < Frame.MIN_FRAME_MAX) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED, "negotiated frame_max = " + requestedFrameMax
                    + " is lower than the minimum allowed value (" + Frame.MIN_FRAME_MAX + ")", 10, 31);
        }
        if (requestedFrameMax > config.frameMax()) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED, "negotiated frame_max = " + requestedFrameMax
                    + " is higher than the maximum allowed value (" + config.frameMax() + ")", 10, 31);
        }
        if (tuneOk.channelMax() > config.channelMax()) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED, "negotiated channel_max = " + tuneOk.channelMax()
                    + " is higher than the maximum allowed value (" + config.channelMax() + ")", 10, 31);
        }
        frameMax = requestedFrameMax == 0 ? config.frameMax() : requestedFrameMax;
        channelMax = tuneOk.channelMax() == 0 ? config.channelMax() : tuneOk.channelMax();
        heartbeatSeconds = tuneOk.heartbeat();
        // RabbitMQ tolerates frames up to frame_max plus the 8 bytes of framing; so do we.
        decoder.frameMax(frameMax + Frame.OVERHEAD);
        state = State.OPENING;
        startHeartbeats();
    }

    private void onOpen(ConnectionMethod.Open open) {
        VirtualHost v = server.vhost(open.virtualHost());
        if (v == null) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED, "vhost " + open.virtualHost() + " not found", 10, 40);
        }
        vhost = v;
        state = State.OPEN;
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        write(0, new ConnectionMethod.OpenOk());
        consumerTimeoutTimer = ctx.executor().scheduleAtFixedRate(this::checkConsumerTimeouts, 1, 1, TimeUnit.SECONDS);
        log.info("connection {} opened: user '{}', vhost '{}'", name, user, vhost.name());
    }

    // ---- heartbeats ----

    private void startHeartbeats() {
        if (heartbeatSeconds == 0) {
            return;
        }
        long periodMillis = heartbeatSeconds * 1000L / 2;
        heartbeatTimer = ctx.executor().scheduleAtFixedRate(this::heartbeatTick, periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
    }

    private void heartbeatTick() {
        if (state == State.CLOSED) {
            return;
        }
        if (!wroteSinceHeartbeat) {
            ByteBuf buf = ctx.alloc().ioBuffer(8);
            FrameWriter.heartbeat(buf);
            ctx.writeAndFlush(buf);
        }
        wroteSinceHeartbeat = false;
        long silentNanos = System.nanoTime() - lastReadNanos;
        if (!blocked && silentNanos > TimeUnit.SECONDS.toNanos(2L * heartbeatSeconds)) {
            log.warn("closing AMQP connection {}: missed heartbeats from client, timeout: {}s", name, heartbeatSeconds);
            state = State.CLOSED;
            ctx.close();
        }
    }

    private void checkConsumerTimeouts() {
        if (state != State.OPEN) {
            return;
        }
        long now = System.nanoTime();
        for (AmqpChannel ch : List.copyOf(channels.values())) {
            ch.checkConsumerTimeout(now);
        }
    }

    private void cancelTimers() {
        if (consumerTimeoutTimer != null) {
            consumerTimeoutTimer.cancel(false);
        }
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (heartbeatTimer != null) {
            heartbeatTimer.cancel(false);
        }
    }

    // ---- resource alarms ----

    /**
     * A channel received a publish. While a resource alarm is on, the connection stops reading
     * (and tells the client, if it asked to be told) until the alarm clears.
     */
    void publishReceived() {
        ResourceAlarms alarms = server.alarms();
        if (!blocked && alarms.any()) {
            blocked = true;
            ctx.channel().config().setAutoRead(false);
            String reason = alarms.reason();
            if (clientBlockedNotify) {
                blockedNotified = true;
                write(0, new ConnectionMethod.Blocked(reason));
            }
            log.info("connection {} blocked: {}", name, reason);
        }
    }

    /**
     * Bytes of message bodies received but not yet complete (negative when they leave). They
     * count against the memory alarm like queued messages do.
     */
    void contentReceived(long bytes) {
        if (bytes > 0) {
            server.memory().add(bytes);
        } else if (bytes < 0) {
            server.memory().release(-bytes);
        }
    }

    /** The alarm cleared: read again. Any thread. */
    void alarmCleared() {
        runOnLoop(() -> {
            if (!blocked || state == State.CLOSED || server.alarms().any()) {
                return;
            }
            blocked = false;
            lastReadNanos = System.nanoTime();
            if (blockedNotified) {
                blockedNotified = false;
                writeAndFlush(0, new ConnectionMethod.Unblocked());
            }
            ctx.channel().config().setAutoRead(true);
            log.info("connection {} unblocked", name);
        });
    }

    // ---- deliveries ----

    /**
     * Whether queues may hand this connection more deliveries: the outbox has room and the
     * socket keeps up. Any thread. When the answer is no, the connection remembers to wake the
     * queues once it can take more; the second check closes the race with a drain that
     * finished in between.
     */
    boolean deliveriesWelcome() {
        if (outbox.hasRoom() && ctx.channel().isWritable()) {
            return true;
        }
        starved = true;
        return outbox.hasRoom() && ctx.channel().isWritable();
    }

    private void resumeIfStarved() {
        if (!starved || state == State.CLOSED) {
            return;
        }
        starved = false;
        for (AmqpChannel ch : List.copyOf(channels.values())) {
            ch.pumpConsumedQueues();
        }
    }

    /** Writes every waiting delivery, batching frames into few buffers and one flush. */
    private void drainOutbox() {
        ByteBuf batch = null;
        boolean wrote = false;
        do {
            DeliveryOutbox.Pending p;
            while ((p = outbox.poll()) != null) {
                AmqpChannel ch = p.channel();
                Consumer c = p.consumer();
                QueueEntry e = p.entry();
                if (state != State.OPEN || !ch.accepts(c)) {
                    // The queue reserved credit for this delivery; it never reaches the
                    // unacked list, so give the credit back here or the channel's shared
                    // window stays short by one for good.
                    boolean windowReopened = c.releaseCredit();
                    if (e.queue() != null) {
                        e.queue().requeue(e);
                    }
                    if (windowReopened && state == State.OPEN) {
                        ch.pumpConsumedQueues();
                    }
                    continue;
                }
                long tag = ch.prepareDelivery(c, e);
                Message m = e.message();
                int need = 1024 + FrameWriter.contentSize(m, frameMax);
                if (batch != null && batch.writableBytes() < need) {
                    ctx.write(batch);
                    batch = null;
                }
                if (batch == null) {
                    batch = ctx.alloc().ioBuffer(Math.max(need, DRAIN_BATCH_BYTES));
                }
                FrameWriter.delivery(batch, ch.number(), c.tagUtf8(), tag, e.redelivered(), m, frameMax);
                wrote = true;
            }
        } while (outbox.finishDrain());
        if (batch != null) {
            ctx.write(batch);
        }
        if (wrote) {
            wroteSinceHeartbeat = true;
            flush();
        }
        resumeIfStarved();
    }

    // ---- writing ----

    private ByteBuf encode(int channel, AmqpMethod method) {
        ByteBuf buf = ctx.alloc().ioBuffer(64);
        FrameWriter.method(buf, channel, method);
        return buf;
    }

    /** Writes a method; it goes out with the next flush (at the end of the current read). */
    void write(int channel, AmqpMethod method) {
        wroteSinceHeartbeat = true;
        ctx.write(encode(channel, method));
    }

    void writeAndFlush(int channel, AmqpMethod method) {
        write(channel, method);
        flush();
    }

    void writeWithContent(int channel, AmqpMethod method, Message message) {
        ByteBuf buf = ctx.alloc().ioBuffer(1024 + FrameWriter.contentSize(message, frameMax));
        FrameWriter.methodWithContent(buf, channel, method, message, frameMax);
        wroteSinceHeartbeat = true;
        ctx.write(buf);
    }

    /**
     * Flushes. Only the writes above count as traffic for heartbeats: a flush follows every
     * read, and if it counted, a client sending its own heartbeats would never get ours.
     */
    private void flush() {
        ctx.flush();
    }

    /** Flushes writes made outside a read (a timer, a callback). */
    void flushOut() {
        flush();
    }

    io.spool.broker.store.GroupCommit commit() {
        return server.commit();
    }

    void confirmsPending(AmqpChannel ch) {
        if (confirmsPending.isEmpty() || !confirmsPending.contains(ch)) {
            confirmsPending.add(ch);
        }
    }

    void runOnLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }

    // ---- closing ----

    /** The reply text as RabbitMQ writes it, "NOT_FOUND - no queue 'q'", cut to a short string. */
    static String replyText(ErrorKind kind, String text) {
        String full = kind.name() + " - " + text;
        byte[] bytes = full.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= 255) {
            return full;
        }
        return new String(bytes, 0, 255, StandardCharsets.UTF_8).replace("\uFFFD", "");
    }

    /**
     * Starts a server-side close: releases every channel, sends connection.close and waits for
     * the client's close-ok (or closes the socket after a timeout).
     */
    private void closeWithError(ErrorKind kind, String text, int classId, int methodId) {
        if (state == State.CLOSING || state == State.CLOSED) {
            return;
        }
        releaseChannels();
        state = State.CLOSING;
        writeAndFlush(0, new ConnectionMethod.Close(kind.code(), replyText(kind, text), classId, methodId));
        ctx.executor().schedule(() -> { ctx.close(); }, CLOSE_OK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void onFrameWhileClosing(Frame frame) {
        if (frame instanceof Frame.MethodFrame mf && mf.channel() == 0) {
            if (mf.method() instanceof ConnectionMethod.CloseOk) {
                state = State.CLOSED;
                ctx.close();
            } else if (mf.method() instanceof ConnectionMethod.Close) {
                state = State.CLOSED;
                ctx.writeAndFlush(encode(0, new ConnectionMethod.CloseOk())).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    private void releaseChannels() {
        for (AmqpChannel ch : List.copyOf(channels.values())) {
            ch.release();
        }
    }

    /**
     * Closes the connection because the broker is stopping: connection.close with 320, then the
     * socket, without waiting for the client. Any thread; the future completes when closed.
     */
    io.netty.channel.ChannelFuture shutdown(String reason) {
        runOnLoop(() -> {
            if (state == State.CLOSED || state == State.CLOSING) {
                ctx.close();
                return;
            }
            releaseChannels();
            state = State.CLOSED;
            ctx.writeAndFlush(encode(0, new ConnectionMethod.Close(ErrorKind.CONNECTION_FORCED.code(),
                    replyText(ErrorKind.CONNECTION_FORCED, reason), 0, 0))).addListener(ChannelFutureListener.CLOSE);
        });
        return ctx.channel().closeFuture();
    }

    /** Channel numbers with open channels, for diagnostics. */
    Set<Integer> channelNumbers() {
        return new LinkedHashSet<>(channels.keySet());
    }
}
