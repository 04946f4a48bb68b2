package io.spool.broker.auth;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks credentials. Until users are configurable there is one user, {@code guest} with
 * password {@code guest}, allowed only from a loopback address, as in RabbitMQ's defaults.
 * Thread-safe (immutable).
 */
public final class Authenticator {

    /** The outcome of a login; {@code reason} is for the log, never for the client. */
    public record Result(boolean accepted, String user, String reason) {
        static Result accept(String user) {
            return new Result(true, user, null);
        }

        static Result refuse(String user, String reason) {
            return new Result(false, user, reason);
        }
    }

    private static final String GUEST = "guest";

    public Result authenticate(String user, String password, SocketAddress remote) {
        if (!GUEST.equals(user) || !constantTimeEquals(GUEST, password)) {
            return Result.refuse(user, "user '" + user + "' - invalid credentials");
        }
        if (!isLoopback(remote)) {
            return Result.refuse(user, "user '" + user + "' can only connect via localhost");
        }
        return Result.accept(user);
    }

    /** True if the secret is (still) valid for the user, for connection.update-secret. */
    public boolean validSecret(String user, String secret) {
        return GUEST.equals(user) && constantTimeEquals(GUEST, secret);
    }

    private static boolean isLoopback(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            InetAddress address = inet.getAddress();
            return address != null && address.isLoopbackAddress();
        }
        // Local transports (in-VM, Unix sockets) are as local as loopback.
        return true;
    }

    private static boolean constantTimeEquals(String expected, String given) {
        if (given == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
