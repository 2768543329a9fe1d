package dev.jslirp.bench.soak;

import java.io.IOException;

/**
 * Data that arrived but not as sent (wrong bytes, wrong length, a wrong DNS answer): the
 * one kind of error that is jslirp's for sure, whatever the machine's load.
 */
final class Corrupt extends IOException {
    private static final long serialVersionUID = 1L;

    Corrupt(String message) {
        super(message);
    }
}
