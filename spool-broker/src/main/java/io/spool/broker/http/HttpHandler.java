package io.spool.broker.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Answers one HTTP request (its body, if any, is JSON of at most 64 KiB) with JSON from
 * {@link ManagementApi}. Thread: the event loop; the API's work is short, policy changes
 * included (they write definitions.json, a few ms at most).
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final ManagementApi api;

    HttpHandler(ManagementApi api) {
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        ManagementApi.Response r;
        if (!request.decoderResult().isSuccess()) {
            r = ManagementApi.Response.error(400, "bad_request", "the request could not be decoded");
        } else {
            r = api.handle(request.method().name(), new QueryStringDecoder(request.uri()).rawPath(),
                    ByteBufUtil.getBytes(request.content()));
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        if (r.body().length > 0) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
