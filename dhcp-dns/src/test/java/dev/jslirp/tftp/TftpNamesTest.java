package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TftpNamesTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "hello.txt, hello.txt",
        "boot/vmlinuz, boot/vmlinuz",
        "/boot/vmlinuz, boot/vmlinuz",       // absolute names are relative to DIR, as libslirp
        "//etc///passwd, etc/passwd",
        "./a/./b, a/b",
        "a..b, a..b",                        // dots inside a name are fine
        "...,...",
        "..foo/bar.., ..foo/bar..",
        "'..\\x', '..\\x'"})                 // a backslash separates nothing on Linux
    void namesMapBelowTheDirectory(String name, String path) {
        assertThat(TftpNames.relativePath(name)).isEqualTo(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "//", ".", "./", "..", "../", "../secret", "a/../../secret", "a/..", "/..",
        "/../etc/passwd", "a/b/", "dir/"})
    void escapesAndDirectoriesAreRefused(String name) {
        assertThat(TftpNames.relativePath(name)).isNull();
    }
}
