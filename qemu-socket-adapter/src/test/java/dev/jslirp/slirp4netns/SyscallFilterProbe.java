package dev.jslirp.slirp4netns;

import java.io.IOException;

/**
 * Run in a JVM of its own by {@link SyscallFilterTest}: installs the filter, then tries
 * to start a program from a thread that existed before, and says what happened.
 */
public final class SyscallFilterProbe {
    private SyscallFilterProbe() {
    }

    public static void main(String... args) throws Exception {
        Thread earlier = new Thread(() -> {
            try {
                Thread.sleep(500);
                new ProcessBuilder("true").start().waitFor();
                System.out.println("started a program: the filter did not apply to every thread");
            } catch (IOException e) {
                System.out.println("refused: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        earlier.start();
        System.out.println("denied " + SyscallFilter.install().size() + " system calls");
        earlier.join();
    }
}
