package dev.jslirp.cli;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests of jslirp as a process: a directory for its files, and the process killed if a test left it running. */
abstract class JslirpProcessTest {
    @TempDir
    Path dir;

    /** The process under test, set by the test. */
    JslirpProcess jslirp;

    @AfterEach
    void killLeftovers() {
        if (jslirp != null) {
            jslirp.close();
        }
    }
}
