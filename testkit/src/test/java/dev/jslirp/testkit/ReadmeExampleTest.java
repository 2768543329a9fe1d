package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's library section shows the external project's test and coordinates verbatim:
 * the build compiles and runs that project (maven-invoker-plugin, src/it/external-user), so
 * what the README shows is what works.
 */
class ReadmeExampleTest {
    private static final Path IT = Path.of("src/it/external-user");
    private static final Path README = Path.of("../README.md");

    @Test
    void theReadmeShowsTheExternalProjectsTestVerbatim() throws Exception {
        String test = Files.readString(IT.resolve("src/test/java/example/EchoThroughJslirpTest.java"));
        assertThat(Files.readString(README)).contains("```java\n" + test + "```\n");
    }

    /** The versions are the build's (surefire sets them, see pom.xml), as the invoker fills them in. */
    @Test
    void theReadmeShowsTheExternalProjectsDependencies() throws Exception {
        String pom = Files.readString(IT.resolve("pom.xml"));
        String dependencies = pom.substring(pom.indexOf("  <dependencies>"), pom.indexOf("</dependencies>"))
                .replace("@project.version@", System.getProperty("jslirp.version"))
                .replace("@junit.version@", System.getProperty("junit.version"));
        assertThat(Files.readString(README)).contains(dependencies);
    }
}
