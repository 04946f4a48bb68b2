package io.spool.broker.amqp.method;

import java.util.Map;

/** The spec's names of class and method ids, for texts a user reads. */
public final class MethodNames {

    private MethodNames() {}

    private static final Map<Integer, String> CLASSES = Map.of(
            10, "connection", 20, "channel", 30, "access", 40, "exchange", 50, "queue",
            60, "basic", 85, "confirm", 90, "tx");

    private static final Map<Integer, String> METHODS = Map.ofEntries(
            e(10, 10, "start"), e(10, 11, "start-ok"), e(10, 20, "secure"), e(10, 21, "secure-ok"),
            e(10, 30, "tune"), e(10, 31, "tune-ok"), e(10, 40, "open"), e(10, 41, "open-ok"),
            e(10, 50, "close"), e(10, 51, "close-ok"), e(10, 60, "blocked"), e(10, 61, "unblocked"),
            e(10, 70, "update-secret"), e(10, 71, "update-secret-ok"),
            e(20, 10, "open"), e(20, 11, "open-ok"), e(20, 20, "flow"), e(20, 21, "flow-ok"),
            e(20, 40, "close"), e(20, 41, "close-ok"),
            e(30, 10, "request"), e(30, 11, "request-ok"),
            e(40, 10, "declare"), e(40, 11, "declare-ok"), e(40, 20, "delete"), e(40, 21, "delete-ok"),
            e(40, 30, "bind"), e(40, 31, "bind-ok"), e(40, 40, "unbind"), e(40, 51, "unbind-ok"),
            e(50, 10, "declare"), e(50, 11, "declare-ok"), e(50, 20, "bind"), e(50, 21, "bind-ok"),
            e(50, 30, "purge"), e(50, 31, "purge-ok"), e(50, 40, "delete"), e(50, 41, "delete-ok"),
            e(50, 50, "unbind"), e(50, 51, "unbind-ok"),
            e(60, 10, "qos"), e(60, 11, "qos-ok"), e(60, 20, "consume"), e(60, 21, "consume-ok"),
            e(60, 30, "cancel"), e(60, 31, "cancel-ok"), e(60, 40, "publish"), e(60, 50, "return"),
            e(60, 60, "deliver"), e(60, 70, "get"), e(60, 71, "get-ok"), e(60, 72, "get-empty"),
            e(60, 80, "ack"), e(60, 90, "reject"), e(60, 100, "recover-async"), e(60, 110, "recover"),
            e(60, 111, "recover-ok"), e(60, 120, "nack"),
            e(85, 10, "select"), e(85, 11, "select-ok"),
            e(90, 10, "select"), e(90, 11, "select-ok"), e(90, 20, "commit"), e(90, 21, "commit-ok"),
            e(90, 30, "rollback"), e(90, 31, "rollback-ok"));

    private static Map.Entry<Integer, String> e(int classId, int methodId, String name) {
        return Map.entry(classId << 16 | methodId, name);
    }

    /** "basic.publish", or a description of ids the spec does not define. */
    public static String of(int classId, int methodId) {
        String cls = CLASSES.get(classId);
        String method = METHODS.get(classId << 16 | methodId);
        if (cls == null || method == null) {
            return "unknown method (class " + classId + ", method " + methodId + ")";
        }
        return cls + "." + method;
    }

    public static boolean known(int classId, int methodId) {
        return METHODS.containsKey(classId << 16 | methodId);
    }
}
