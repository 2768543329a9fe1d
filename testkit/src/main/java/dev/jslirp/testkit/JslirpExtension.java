package dev.jslirp.testkit;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.core.wire.MacAddress;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that gives each test a jslirp network and a guest on it, and closes
 * them after the test with a leak check: a buffer of the network's that nobody released
 * fails the test.
 *
 * <pre>{@code
 * @RegisterExtension
 * final JslirpExtension jslirp = new JslirpExtension();
 *
 * @Test
 * void leaseAndEcho(Guest guest) { ... }      // or jslirp.guest()
 * }</pre>
 *
 * <p>Two modes:
 * <ul>
 *   <li>{@code new JslirpExtension()} (or {@code @ExtendWith(JslirpExtension.class)}): the
 *       whole network (DHCP, DNS, NAT...) on a real NIO event loop of its own, whose NAT
 *       opens real host sockets (the host address, 10.0.2.2 or fec0::2, is the host's
 *       127.0.0.1 or ::1);</li>
 *   <li>{@link #frozenClock()}: the network on a deterministic loop whose clock moves only by
 *       {@link #advance}, for DHCP, ARP, router advertisements, neighbour discovery and
 *       timers ({@link Guest#autoconfigure6()} moves it while it waits for the router's
 *       answer). It starts no service that needs host sockets (the NAT, the DNS forwarder),
 *       since a frozen loop cannot drive them: asking a guest for {@code tcp()} or
 *       {@code udp()} of either family, or configuring a forward, fails with an exception
 *       that says so, rather than a connection reset.</li>
 * </ul>
 * Leak check: the network's buffers all come from an allocator of this extension that
 * remembers them (no global leak detector, no garbage collection involved); after the
 * network closed, any not released fails the test, with its size and first bytes.
 *
 * <p>Parameters of type {@link Guest} and {@link JslirpNetwork} are injected. One test at a
 * time per extension instance.
 */
public final class JslirpExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    /** Why a frozen-clock network has no NAT; the message of everything that would need it. */
    static final String FROZEN = "a frozen-clock network starts no service that needs host sockets "
            + "(the NAT: TCP, UDP and ping to the host and beyond, port forwards; the DNS forwarder), "
            + "because a frozen event loop cannot drive sockets; use new JslirpExtension() (a real event loop)";
    /** The first guest's MAC, QEMU's default for the first NIC; later guests count up. */
    private static final long FIRST_MAC = MacAddress.parse("52:54:00:12:34:56");

    private final boolean frozen;
    private Consumer<JslirpNetwork.Builder> configuration = b -> { };
    private Duration timeout = Duration.ofSeconds(5);
    private JslirpNetwork network;
    private LeakCheckingAllocator alloc;
    private EmbeddedChannel embedded;
    private final List<Guest> guests = new ArrayList<>();

    /** A network on a real event loop, with QEMU's defaults unless {@link #configure}d. */
    public JslirpExtension() {
        this(false);
    }

    private JslirpExtension(boolean frozen) {
        this.frozen = frozen;
    }

    /** A network on a frozen clock that only {@link #advance} moves; see the class comment. */
    public static JslirpExtension frozenClock() {
        return new JslirpExtension(true);
    }

    /**
     * Configures each test's network ({@code b.network(...)}, {@code b.dhcp(...)},
     * {@code b.nat(...)}...); the extension sets the allocator and, frozen, the loop.
     */
    public JslirpExtension configure(Consumer<JslirpNetwork.Builder> c) {
        this.configuration = Objects.requireNonNull(c);
        return this;
    }

    /** How long a guest waits for the network in each call (default 5 s). */
    public JslirpExtension timeout(Duration t) {
        this.timeout = Objects.requireNonNull(t);
        return this;
    }

    /** The running test's network. */
    public JslirpNetwork network() {
        if (network == null) {
            throw new IllegalStateException("no network: the extension starts one before each test");
        }
        return network;
    }

    /** The running test's first guest (MAC 52:54:00:12:34:56), attached when the network started. */
    public Guest guest() {
        network();
        return guests.get(0);
    }

    /** Attaches another guest, a new port of the network's switch with the next MAC. */
    public Guest addGuest() {
        Guest g = new Guest(network(), FIRST_MAC + guests.size(), alloc, this::settle, frozen ? this::advance : null,
                frozen ? FROZEN : null, timeout);
        guests.add(g);
        return g;
    }

    /**
     * Moves a frozen clock by {@code d} and runs what became due (lease expiry, router
     * advertisements, retransmissions...).
     *
     * @throws IllegalStateException on a real event loop, whose time is the wall clock's
     */
    public void advance(Duration d) {
        if (embedded == null) {
            throw new IllegalStateException("time moves by advance() only on JslirpExtension.frozenClock()");
        }
        embedded.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        settle();
    }

    private void settle() {
        if (embedded != null) {
            embedded.runPendingTasks();
            embedded.runScheduledPendingTasks();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        alloc = new LeakCheckingAllocator();
        JslirpNetwork.Builder b = JslirpNetwork.builder();
        configuration.accept(b);
        b.alloc(alloc);
        if (frozen) {
            embedded = new EmbeddedChannel();
            embedded.freezeTime();
            b.eventLoop(embedded.eventLoop(), HostChannels.nio()).withoutNat().withoutDns();
        }
        try {
            network = b.build();
        } catch (ConfigException e) {
            if (frozen) {
                throw new IllegalStateException(FROZEN + ": " + e.getMessage(), e);
            }
            throw e;
        }
        settle();
        addGuest();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        guests.clear();
        JslirpNetwork n = network;
        network = null;
        if (n == null) {
            return;
        }
        if (embedded != null) {
            // A frozen loop runs its tasks when told: close, run the closing, then drop the loop.
            n.guest().close();
            settle();
            embedded.finishAndReleaseAll();
            embedded = null;
        } else {
            n.close();
        }
        List<String> leaks = alloc.unreleased();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " buffer(s) of the network were not released by the end of "
                    + context.getDisplayName() + ":\n  " + String.join("\n  ", leaks));
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> type = p.getParameter().getType();
        return type == Guest.class || type == JslirpNetwork.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == Guest.class ? guest() : network();
    }
}
