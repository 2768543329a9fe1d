package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The networks a control socket serves, and how to start and stop more: one per netdev
 * id, each on its own event loop. A jslirp of one network offers a fixed list
 * ({@link #of}); the command line's runtime adds {@code network_add} and
 * {@code network_remove}.
 */
public interface Networks {
    /** One network: its id, the network itself, and what its transports do (for {@code info networks}). */
    record Entry(String id, JslirpNetwork network, String transports) {
    }

    /** The networks, in the order they started (the first takes commands without an id). Safe from any thread. */
    List<Entry> list();

    /**
     * Starts a network from a {@code --network} string. Never on an event loop: the
     * future completes from another thread.
     *
     * @return completes with the lines describing it, or fails with an
     *         {@link IllegalArgumentException} whose message says what is wrong
     */
    CompletableFuture<List<String>> add(String spec);

    /**
     * Stops the network {@code id}: its transports close (its guests are disconnected),
     * then the network.
     *
     * @return completes with false if there is no such network
     */
    CompletableFuture<Boolean> remove(String id);

    /** The network of {@code id}, or null. */
    default Entry find(String id) {
        for (Entry e : list()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }

    /** A fixed list of one network, which refuses to start or stop others. */
    static Networks of(String id, JslirpNetwork network) {
        List<Entry> one = List.of(new Entry(id, network, "-"));
        return new Networks() {
            @Override
            public List<Entry> list() {
                return one;
            }

            @Override
            public CompletableFuture<List<String>> add(String spec) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "this jslirp serves one network; start jslirp with --control to add networks"));
            }

            @Override
            public CompletableFuture<Boolean> remove(String removed) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "this jslirp serves one network; it cannot be removed"));
            }
        };
    }
}
