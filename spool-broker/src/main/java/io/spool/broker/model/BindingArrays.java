package io.spool.broker.model;

import java.util.Arrays;

/**
 * Copy-on-write arrays of bindings: routing reads an array without locks, changes replace it.
 * An empty result is null so that maps drop the key.
 */
final class BindingArrays {

    private BindingArrays() {}

    static Binding[] add(Binding[] old, Binding b) {
        if (old == null) {
            return new Binding[] {b};
        }
        Binding[] copy = Arrays.copyOf(old, old.length + 1);
        copy[old.length] = b;
        return copy;
    }

    static Binding[] remove(Binding[] old, Binding b) {
        if (old == null) {
            return null;
        }
        int at = -1;
        for (int i = 0; i < old.length; i++) {
            if (old[i].equals(b)) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            return old;
        }
        if (old.length == 1) {
            return null;
        }
        Binding[] copy = new Binding[old.length - 1];
        System.arraycopy(old, 0, copy, 0, at);
        System.arraycopy(old, at + 1, copy, at, old.length - at - 1);
        return copy;
    }
}
