// What a user of the README's coordinates gets, checked after the external project's build.
import java.util.zip.ZipFile

// 1. Its local repository holds exactly what it resolved: none of the CLI's dependencies may
//    be among them (issue 14: "no CLI, JNA or logging binding pulled in").
def forbidden = ['info/picocli', 'net/java/dev/jna', 'org/slf4j/slf4j-simple',
                 'io/netty/netty-transport-native-epoll', 'dev/jslirp/qemu-socket-adapter',
                 'com/fasterxml/jackson', 'io/prometheus']
def found = forbidden.findAll { new File(localRepositoryPath, it).exists() }
assert found.isEmpty() : "the external project resolved ${found}"

// 2. The published jars install nothing global in the user's tests: no service files (a JUnit
//    extension or launcher listener registered by class-loading), no logging configuration.
['jslirp-network', 'jslirp-testkit'].each { name ->
    def dir = new File(localRepositoryPath, "dev/jslirp/${name}")
    def jar = dir.listFiles().collectMany { v -> v.listFiles().findAll { it.name.endsWith('.jar') } as List }.first()
    def global = new ZipFile(jar).entries().collect { it.name }
            .findAll { it.startsWith('META-INF/services/') || it.contains('simplelogger') || it.startsWith('log4j') }
    assert global.isEmpty() : "${jar.name} carries ${global}"
}

// 3. Its one test ran and passed.
def log = new File(basedir, 'build.log').text
assert log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0') : 'the external test did not run'
return true
