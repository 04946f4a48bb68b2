package io.spool.broker.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Routes by dotted patterns: {@code *} matches exactly one word, {@code #} zero or more.
 *
 * <p>Binding patterns live in a trie keyed by word, so a route costs the length of the key and
 * the wildcard branches it meets, not the number of bindings. Readers walk it without locks;
 * changes (under the topology lock) add nodes, swap copy-on-write binding arrays and prune
 * empty nodes.
 */
public final class TopicExchange extends Exchange {

    public static final String TYPE = "topic";

    private final Node root = new Node();

    TopicExchange(String name, boolean durable, boolean autoDelete, boolean internal, Map<String, Object> arguments) {
        super(name, durable, autoDelete, internal, arguments);
    }

    @Override
    public String type() {
        return TYPE;
    }

    private static final class Node {
        final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(4);
        volatile Binding[] bindings;

        boolean empty() {
            return bindings == null && children.isEmpty();
        }
    }

    /**
     * The most {@code #} words a binding key may have, as in RabbitMQ 4.3: each one multiplies
     * the work of matching a long routing key, so an unlimited number lets one binding stall routing.
     */
    static final int MAX_HASH_WORDS = 2;

    /** Checks a binding key; returns an error text or null. */
    public static String validateBindingKey(String key) {
        int hashes = 0;
        for (String word : words(key)) {
            if (word.equals("#")) {
                hashes++;
            }
        }
        if (hashes <= MAX_HASH_WORDS) {
            return null;
        }
        return "Topic binding key '" + key + "' uses " + hashes + " '#' wildcards, at most " + MAX_HASH_WORDS
                + " are allowed";
    }

    /** Splits a key into its words; the empty key has none, "a." has two. */
    static String[] words(String key) {
        if (key.isEmpty()) {
            return new String[0];
        }
        int count = 1;
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) == '.') {
                count++;
            }
        }
        String[] words = new String[count];
        int start = 0;
        int w = 0;
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) == '.') {
                words[w++] = key.substring(start, i);
                start = i + 1;
            }
        }
        words[w] = key.substring(start);
        return words;
    }

    @Override
    public void route(Message message, String routingKey, List<Destination> out) {
        match(root, words(routingKey), 0, out);
    }

    private static void match(Node node, String[] words, int i, List<Destination> out) {
        Node hash = node.children.get("#");
        if (i == words.length) {
            Binding[] here = node.bindings;
            if (here != null) {
                for (Binding b : here) {
                    out.add(b.destination());
                }
            }
            if (hash != null) {
                match(hash, words, i, out);
            }
            return;
        }
        // A routing key may itself contain the words "*" or "#"; then the exact branch is the
        // wildcard's, which covers it (and "#" must still be free to take more than one word).
        Node exact = node.children.get(words[i]);
        Node star = node.children.get("*");
        if (exact != null && exact != star && exact != hash) {
            match(exact, words, i + 1, out);
        }
        if (star != null) {
            match(star, words, i + 1, out);
        }
        if (hash != null) {
            for (int j = i; j <= words.length; j++) {
                match(hash, words, j, out);
            }
        }
    }

    @Override
    protected void addRoute(Binding binding) {
        Node node = root;
        for (String word : words(binding.routingKey())) {
            node = node.children.computeIfAbsent(word, w -> new Node());
        }
        node.bindings = BindingArrays.add(node.bindings, binding);
    }

    @Override
    protected void removeRoute(Binding binding) {
        List<Node> path = new ArrayList<>();
        String[] words = words(binding.routingKey());
        Node node = root;
        path.add(node);
        for (String word : words) {
            node = node.children.get(word);
            if (node == null) {
                return;
            }
            path.add(node);
        }
        node.bindings = BindingArrays.remove(node.bindings, binding);
        for (int i = words.length; i > 0; i--) {
            Node child = path.get(i);
            if (!child.empty()) {
                break;
            }
            path.get(i - 1).children.remove(words[i - 1], child);
        }
    }
}
